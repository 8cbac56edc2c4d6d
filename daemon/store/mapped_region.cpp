#include "store/mapped_region.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

namespace unbuckle::store {

Result<MappedRegion> MappedRegion::create(size_t bytes, std::string_view what) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return systemError("mapping " + std::string(what), errno);
  }
  // Items are reached at random: with 4 KiB pages most hash lookups also
  // miss the TLB. Huge pages where the kernel has them (advice only).
  madvise(p, bytes, MADV_HUGEPAGE);
  return MappedRegion(static_cast<std::byte*>(p), bytes);
}

MappedRegion::MappedRegion(MappedRegion&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedRegion::~MappedRegion() {
  if (base_ != nullptr) munmap(base_, size_);
}

void MappedRegion::release(std::byte* p, size_t n) {
  // Page-aligned inside [p, p + n): arena pages are not 4 KiB multiples.
  const uintptr_t kPage = 4096;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kPage - 1) & ~(kPage - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) & ~(kPage - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace unbuckle::store
