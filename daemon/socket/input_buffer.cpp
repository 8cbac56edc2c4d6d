#include "socket/input_buffer.h"

#include <algorithm>
#include <cstring>

namespace unbuckle::net {
namespace {

constexpr size_t kKeepAtMost = 64 * 1024;   // an idle connection keeps no more than this

}  // namespace

void InputBuffer::consume(size_t n) {
  begin_ += n;
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (storage_.size() > kKeepAtMost) {
      std::vector<char>().swap(storage_);
    }
  }
}

std::span<char> InputBuffer::space(size_t want) {
  const size_t unconsumed = end_ - begin_;
  if (unconsumed >= limit_) {
    return {};
  }
  if (storage_.size() - end_ < kMinRead && begin_ > 0) {
    std::memmove(storage_.data(), storage_.data() + begin_, unconsumed);
    begin_ = 0;
    end_ = unconsumed;
  }
  const size_t target = std::min(limit_, std::max({want, unconsumed + kMinRead, kInitialSize}));
  if (storage_.size() < target) {
    // Geometric growth when the need is unknown (a long line), exact when known.
    const size_t size = std::max(target, std::min(limit_, 2 * storage_.size()));
    std::vector<char> grown(size);
    if (unconsumed > 0) {
      std::memcpy(grown.data(), storage_.data() + begin_, unconsumed);
    }
    storage_.swap(grown);
    begin_ = 0;
    end_ = unconsumed;
  }
  return {storage_.data() + end_, std::min(storage_.size() - end_, limit_ - unconsumed)};
}

}  // namespace unbuckle::net
