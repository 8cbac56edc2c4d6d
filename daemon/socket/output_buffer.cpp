#include "socket/output_buffer.h"

#include <algorithm>

namespace unbuckle::net {
namespace {

constexpr std::string_view kOverflow = "SERVER_ERROR out of memory writing get response\r\n";

size_t beyondGuarantee(size_t size) {
  return size > OutputBuffer::kGuaranteed ? size - OutputBuffer::kGuaranteed : 0;
}

}  // namespace

void OutputBuffer::append(std::string_view bytes) {
  if (overflowed_) {
    return;
  }
  if (bytes.size() > limit_ - std::min(limit_, size()) || !reserve(bytes_.size() + bytes.size())) {
    bytes_.resize(std::max(response_start_, sent_));
    bytes_.append(kOverflow);
    overflowed_ = true;
    return;
  }
  bytes_.append(bytes);
}

bool OutputBuffer::reserve(size_t needed) {
  if (needed <= bytes_.capacity()) {
    return true;
  }
  // Double when the pool allows (fewer copies), else exactly what is needed.
  // A fresh string reserves exactly the size asked for, so the borrowed
  // bytes match the capacity.
  for (const size_t size : {std::max(needed, 2 * bytes_.capacity()), needed}) {
    const size_t extra = beyondGuarantee(size) - std::min(borrowed_, beyondGuarantee(size));
    if (extra == 0 || pool_.take(extra)) {
      borrowed_ += extra;
      std::string grown;
      grown.reserve(size);
      grown.append(bytes_, sent_);
      bytes_.swap(grown);
      response_start_ -= std::min(response_start_, sent_);
      sent_ = 0;
      return true;
    }
  }
  return false;
}

void OutputBuffer::release() {
  const size_t held = beyondGuarantee(bytes_.capacity());
  if (borrowed_ > held) {
    pool_.give(borrowed_ - held);
    borrowed_ = held;
  }
}

void OutputBuffer::consume(size_t n) {
  sent_ += n;
  if (sent_ == bytes_.size()) {
    bytes_.clear();
    if (bytes_.capacity() > kGuaranteed) {
      std::string().swap(bytes_);
    }
    sent_ = 0;
    response_start_ = 0;
  } else if (sent_ >= kGuaranteed && sent_ >= bytes_.size() - sent_) {
    // Moves no more than was sent since the last move: linear in the bytes
    // sent, however slowly the client reads a large backlog.
    bytes_.erase(0, sent_);
    response_start_ -= std::min(response_start_, sent_);
    sent_ = 0;
  }
  release();
}

}  // namespace unbuckle::net
