#include "afxdp/frame_pool.h"

namespace unbuckle::afxdp {

FramePool::FramePool(uint64_t first, uint32_t count, uint32_t frame_size)
    : first_(first), count_(count), frame_size_(frame_size) {
  free_.reserve(count);
  // Lowest address on top: the first frames used are the first in memory.
  for (uint32_t i = count; i > 0; --i) {
    free_.push_back(first + uint64_t{i - 1} * frame_size);
  }
}

std::optional<uint64_t> FramePool::take() {
  if (free_.empty()) {
    return std::nullopt;
  }
  const uint64_t address = free_.back();
  free_.pop_back();
  return address;
}

void FramePool::give(uint64_t address) {
  free_.push_back(address & ~uint64_t{frame_size_ - 1});
}

}  // namespace unbuckle::afxdp
