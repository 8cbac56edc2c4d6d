// One slab class: chunks of one size cut from arena pages, their free list,
// the LRU of the class's linked items and its counters. Not thread-safe by
// itself: every member except the constants is guarded by mutex().
//
//   page (Arena::pageSize())
//   |chunk|chunk|chunk|chunk|...|chunk|slack|
//    ^ carved lazily from the newest page; freed chunks go on a free list
//
//   LRU:  head (most recent) <-lru_prev_- item -lru_next_-> tail (evicted first)
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "store/arena.h"
#include "store/store.h"

namespace unbuckle::store {

struct SizeClassCounters {
  uint64_t pages = 0;
  uint64_t used_chunks = 0;
  uint64_t mem_requested = 0;   // sum of totalSize() of chunks in use
  uint64_t items = 0;           // linked
  uint64_t bytes = 0;           // sum of totalSize() of linked items
  uint64_t total_items = 0;
  uint64_t evicted = 0;
  uint64_t evicted_nonzero = 0;
  RelTime evicted_time = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t expired_unfetched = 0;
  uint64_t outofmemory = 0;
  uint64_t reclaimed = 0;
  uint64_t crawler_reclaimed = 0;
};

class SizeClass {
 public:
  SizeClass(const Arena& arena, uint8_t id, uint32_t chunk_size);

  std::mutex& mutex() { return mutex_; }
  uint8_t id() const { return id_; }
  uint32_t chunkSize() const { return chunk_size_; }
  uint32_t chunksPerPage() const { return chunks_per_page_; }

  // A free chunk for an item of `size` bytes, or nullptr if the class has
  // none left in its pages.
  Item* takeChunk(size_t size);
  void addPage(std::byte* page);
  void returnChunk(Item* chunk);
  uint64_t freeChunks() const { return counters_.pages * chunks_per_page_ - counters_.used_chunks; }

  // LRU of linked items, with the item and byte counts. Dropping or bumping
  // the crawler's cursor item moves the cursor one item towards the head.
  void lruAdd(Item* item);
  void lruDrop(Item* item);
  void lruBump(Item* item);
  Item* lruTail() const { return arena_.at<Item>(lru_tail_); }
  Item* towardsHead(const Item* item) const { return arena_.at<Item>(item->lru_prev_); }

  // The next item the crawler checks; nullptr = start again at the tail.
  Item* crawlCursor() const { return arena_.at<Item>(crawl_cursor_); }
  void setCrawlCursor(Item* item) { crawl_cursor_ = item ? arena_.ref(item) : 0; }

  SizeClassCounters& counters() { return counters_; }

 private:
  void pushHead(Item* item);
  void remove(Item* item);

  const Arena& arena_;
  const uint8_t id_;
  const uint32_t chunk_size_;
  const uint32_t chunks_per_page_;
  std::mutex mutex_;
  uint32_t free_head_ = 0;          // free list through hash_next_
  std::byte* carve_next_ = nullptr; // unused end of the newest page
  uint32_t carve_left_ = 0;         // chunks left there
  uint32_t lru_head_ = 0;
  uint32_t lru_tail_ = 0;
  uint32_t crawl_cursor_ = 0;
  SizeClassCounters counters_;
};

}  // namespace unbuckle::store
