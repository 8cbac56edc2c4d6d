// An anonymous private mapping: the item arena when the store is lent no
// memory, and the frames of each AF_XDP umem. Pages are reserved, not
// touched: memory is committed as items land (or all at once when a umem
// pins it).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "result.h"

namespace unbuckle::store {

class MappedRegion {
 public:
  // `bytes` of address space, or "mapping <what>: <strerror>" with the errno
  // of the refused mmap.
  static Result<MappedRegion> create(size_t bytes, std::string_view what);
  ~MappedRegion();
  MappedRegion(MappedRegion&& other) noexcept;
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;
  MappedRegion& operator=(MappedRegion&&) = delete;

  std::span<std::byte> bytes() const { return {base_, size_}; }
  // Gives the memory of [p, p + n) back to the kernel; it reads as zeros
  // when touched again.
  void release(std::byte* p, size_t n);

 private:
  MappedRegion(std::byte* base, size_t size) : base_(base), size_(size) {}

  std::byte* base_;
  size_t size_;
};

}  // namespace unbuckle::store
