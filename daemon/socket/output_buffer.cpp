#include "socket/output_buffer.h"

#include <algorithm>

namespace unbuckle::net {
namespace {

constexpr std::string_view kOverflow = "SERVER_ERROR out of memory writing get response\r\n";
constexpr size_t kKeepAtMost = 1 << 20;   // capacity kept once everything is sent

}  // namespace

void OutputBuffer::append(std::string_view bytes) {
  if (overflowed_) {
    return;
  }
  if (bytes.size() > limit_ - std::min(limit_, size())) {
    bytes_.resize(std::max(response_start_, sent_));
    bytes_.append(kOverflow);
    overflowed_ = true;
    return;
  }
  bytes_.append(bytes);
}

void OutputBuffer::consume(size_t n) {
  sent_ += n;
  if (sent_ == bytes_.size()) {
    bytes_.clear();
    if (bytes_.capacity() > kKeepAtMost) {
      std::string().swap(bytes_);
    }
    sent_ = 0;
    response_start_ = 0;
  } else if (sent_ >= kKeepAtMost) {
    bytes_.erase(0, sent_);
    response_start_ -= std::min(response_start_, sent_);
    sent_ = 0;
  }
}

}  // namespace unbuckle::net
