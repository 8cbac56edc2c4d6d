// The item arena: one borrowed region of memory (an anonymous mapping today,
// a slice of the AF_XDP umem later) carved into equal pages on demand.
//
//   region  |page 0            |page 1            |...      |page n-1     |unused tail
//            ^ handed out in order by allocatePage(), never given back (size
//              classes pass pages between themselves, page_mover.h)
//
// Items refer to each other by 32-bit references instead of pointers:
// ref = offset / 8 + 1, with 0 meaning "none". Items start on 8-byte
// boundaries, so a region may be up to 2^32 * 8 bytes (32 GiB).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

namespace unbuckle::store {

class Arena {
 public:
  static constexpr size_t kAlignment = 8;
  static constexpr size_t kMaxBytes = size_t{UINT32_MAX} * kAlignment;

  // `region` must be kAlignment-aligned; its size is cut to whole pages and
  // to kMaxBytes.
  Arena(std::span<std::byte> region, size_t page_size);

  // Next unused page, or nullptr once every page is handed out. Thread-safe.
  std::byte* allocatePage();

  size_t pageSize() const { return page_size_; }
  size_t pageCount() const { return page_count_; }
  // The page that holds `p` (which must lie in a handed-out page).
  std::byte* pageOf(const void* p) const {
    return base_ + (static_cast<const std::byte*>(p) - base_) / page_size_ * page_size_;
  }

  uint32_t ref(const void* p) const {
    return static_cast<uint32_t>((static_cast<const std::byte*>(p) - base_) / kAlignment + 1);
  }
  template <typename T>
  T* at(uint32_t ref) const {
    return ref == 0 ? nullptr : reinterpret_cast<T*>(base_ + size_t{ref - 1} * kAlignment);
  }

 private:
  std::byte* base_;
  size_t page_size_;
  size_t page_count_;
  std::atomic<size_t> next_page_{0};
};

}  // namespace unbuckle::store
