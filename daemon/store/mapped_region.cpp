#include "store/mapped_region.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace unbuckle::store {

MappedRegion::MappedRegion(size_t bytes) : base_(nullptr), size_(bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(), "mapping the item arena");
  }
  base_ = static_cast<std::byte*>(p);
  // Items are reached at random: with 4 KiB pages most hash lookups also
  // miss the TLB. Huge pages where the kernel has them (advice only).
  madvise(p, bytes, MADV_HUGEPAGE);
}

MappedRegion::~MappedRegion() { munmap(base_, size_); }

void MappedRegion::release(std::byte* p, size_t n) {
  // Page-aligned inside [p, p + n): arena pages are not 4 KiB multiples.
  const uintptr_t kPage = 4096;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kPage - 1) & ~(kPage - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) & ~(kPage - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace unbuckle::store
