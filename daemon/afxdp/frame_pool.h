// The free frames of one worker: a stack of addresses in the worker's
// own umem. See umem.h for who owns a frame when.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace unbuckle::afxdp {

class FramePool {
 public:
  // Frames [first, first + count * frame_size) of the umem, all free.
  // `frame_size` is a power of two.
  FramePool(uint64_t first, uint32_t count, uint32_t frame_size);

  // A free frame's address, or nullopt when every frame is out.
  std::optional<uint64_t> take();

  // Returns the frame holding `address` (any address inside it, as the RX
  // and completion rings report them). It must be one of ours and out.
  void give(uint64_t address);

  // Whether `address` lies in this pool's frames: a completion outside them
  // (which the kernel should never report) never enters the pool.
  bool owns(uint64_t address) const { return address - first_ < uint64_t{count_} * frame_size_; }

  uint32_t available() const { return static_cast<uint32_t>(free_.size()); }
  uint32_t total() const { return count_; }
  uint32_t frameSize() const { return frame_size_; }

 private:
  uint64_t first_;
  uint32_t count_;
  uint32_t frame_size_;
  std::vector<uint64_t> free_;
};

}  // namespace unbuckle::afxdp
