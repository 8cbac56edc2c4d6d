// An anonymous private mapping: the item arena when the store is lent no
// memory, and the frames of each AF_XDP umem. Pages are reserved, not
// touched: memory is committed as items land (or all at once when a umem
// pins it).
#pragma once

#include <cstddef>
#include <span>

namespace unbuckle::store {

class MappedRegion {
 public:
  explicit MappedRegion(size_t bytes);  // throws std::system_error
  ~MappedRegion();
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;

  std::span<std::byte> bytes() const { return {base_, size_}; }
  // Gives the memory of [p, p + n) back to the kernel; it reads as zeros
  // when touched again.
  void release(std::byte* p, size_t n);

 private:
  std::byte* base_;
  size_t size_;
};

}  // namespace unbuckle::store
