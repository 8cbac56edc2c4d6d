#include "socket/input_buffer.h"

#include <algorithm>
#include <cstring>

namespace unbuckle::net {
namespace {

size_t beyondGuarantee(size_t size) {
  return size > InputBuffer::kGuaranteed ? size - InputBuffer::kGuaranteed : 0;
}

}  // namespace

void InputBuffer::consume(size_t n) {
  begin_ += n;
  starved_ = false;
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (storage_.size() > kGuaranteed) {
      release();
    }
  }
}

void InputBuffer::release() {
  std::vector<char>().swap(storage_);
  pool_.give(borrowed_);
  borrowed_ = 0;
}

bool InputBuffer::borrowFor(size_t size) {
  const size_t extra = beyondGuarantee(size) - std::min(borrowed_, beyondGuarantee(size));
  if (extra > 0 && !pool_.take(extra)) {
    return false;
  }
  borrowed_ += extra;
  return true;
}

size_t InputBuffer::reachable() const {
  return std::min(limit_, std::max(storage_.size(), kGuaranteed) + pool_.available());
}

std::span<char> InputBuffer::space(size_t want) {
  const size_t unconsumed = end_ - begin_;
  starved_ = false;
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
    // Geometric growth when the need is unknown (a long line), exact when
    // known; short of pool memory, as much as it lends.
    size_t size = std::max(target, std::min(limit_, 2 * storage_.size()));
    if (!borrowFor(size) && !borrowFor(size = target)) {
      size = std::min(target, std::max(storage_.size(), kGuaranteed) + pool_.available());
      if (size <= storage_.size() || !borrowFor(size)) {
        size = storage_.size();
      }
    }
    if (size > storage_.size()) {
      std::vector<char> grown(size);
      if (unconsumed > 0) {
        std::memcpy(grown.data(), storage_.data() + begin_, unconsumed);
      }
      storage_.swap(grown);
      begin_ = 0;
      end_ = unconsumed;
    }
  }
  const std::span<char> free{storage_.data() + end_,
                             std::min(storage_.size() - end_, limit_ - unconsumed)};
  starved_ = free.empty();
  return free;
}

}  // namespace unbuckle::net
