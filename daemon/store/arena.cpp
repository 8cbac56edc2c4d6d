#include "store/arena.h"

namespace unbuckle::store {

Arena::Arena(std::span<std::byte> region, size_t page_size)
    : base_(region.data()),
      page_size_(page_size),
      page_count_(std::min(region.size(), kMaxBytes) / page_size) {}

std::byte* Arena::allocatePage() {
  // Once full, stay read-only: allocation failures are the common case then.
  if (next_page_.load(std::memory_order_relaxed) >= page_count_) return nullptr;
  // fetch_add may run past the end under contention: such a page is refused.
  size_t page = next_page_.fetch_add(1, std::memory_order_relaxed);
  if (page >= page_count_) return nullptr;
  return base_ + page * page_size_;
}

}  // namespace unbuckle::store
