// One slab class: chunks of one size cut from arena pages, their free list,
// the LRU of the class's linked items and its counters. Not thread-safe by
// itself: every member except the constants is guarded by mutex().
//
//   page (Arena::pageSize())
//   |chunk|chunk|chunk|chunk|...|chunk|slack|
//    ^ carved lazily from the newest page; freed chunks go on a free list
//
//   Every carved chunk is in one ChunkState. One page at a time can be
//   claimed to leave the class: its free chunks come off the free list and
//   chunks freed on it later stay off, so once its items are gone it can go
//   to another class (removeClaimedPage, then addPage there).
//
//   LRU:  head (most recent) <-lru_prev_- item -lru_next_-> tail (evicted first)
//   TEMP: the same for items with Item::temporary() (memcached's TEMP_LRU):
//         never evicted, only reclaimed once dead, so eviction never sees it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "store/arena.h"
#include "store/store.h"

namespace unbuckle::store {

enum class ChunkState : uint8_t {
  kFree,        // on the free list
  kAllocated,   // handed out by takeChunk(), not in the LRU (being filled, or unlinked)
  kLinked,      // in the LRU (and in the hash index)
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
  // A page for this class; chunks left uncarved in the previous page go on
  // the free list first.
  void addPage(std::byte* page);
  void returnChunk(Item* chunk);
  // The class's pages, oldest first.
  const std::vector<std::byte*>& pages() const { return pages_; }
  // End of the chunks of one of the class's pages that were ever handed
  // out: [page, carvedEnd(page)) in steps of chunkSize().
  std::byte* carvedEnd(std::byte* page) const;
  // Claims one of the class's pages to leave it (none may be leaving). Its
  // chunks are all carved from then on; returns how many of its free chunks
  // came off the free list.
  uint32_t claimPage(std::byte* page);
  // Chunks of one of the class's pages that are allocated or linked.
  uint32_t usedChunksOn(std::byte* page) const;
  std::byte* leavingPage() const { return leaving_page_; }
  // Gives up the claim: the page's free chunks go back on the free list.
  void unclaimPage();
  // Takes the claimed page, every chunk of which must be free, out of the class.
  std::byte* removeClaimedPage();
  uint64_t freeChunks() const { return counters_.total_pages * chunks_per_page_ - counters_.used_chunks; }

  // LRU of linked items, with the item and byte counts; each item goes to
  // the list its temporary() bit names. Dropping or bumping the crawler's
  // cursor item moves the cursor one item towards the head.
  void lruAdd(Item* item);
  void lruDrop(Item* item);
  void lruBump(Item* item);
  // `copy` (a chunk from takeChunk() holding the same item) takes `item`'s
  // place in the LRU; `item`'s chunk is freed.
  void lruReplace(Item* item, Item* copy);
  // The evictable LRU (every item but the temporary ones).
  Item* lruTail() const { return arena_.at<Item>(lists_[kMain].tail); }
  Item* lruHead() const { return arena_.at<Item>(lists_[kMain].head); }
  // The temporary LRU.
  Item* tempTail() const { return arena_.at<Item>(lists_[kTemp].tail); }
  Item* towardsHead(const Item* item) const { return arena_.at<Item>(item->lru_prev_); }
  Item* towardsTail(const Item* item) const { return arena_.at<Item>(item->lru_next_); }
  // Both lists as the crawler walks them: the main LRU from its tail, then
  // the temporary one from its tail.
  Item* crawlStart() const { return lruTail() != nullptr ? lruTail() : tempTail(); }
  Item* crawlNext(const Item* item) const;

  // The next item the crawler checks; nullptr = start again at the tail.
  Item* crawlCursor() const { return arena_.at<Item>(crawl_cursor_); }
  void setCrawlCursor(Item* item) { crawl_cursor_ = item ? arena_.ref(item) : 0; }

  SizeClassCounters& counters() { return counters_; }

 private:
  void pushFree(Item* chunk);
  bool inLeavingPage(const Item* chunk) const;
  struct List {
    uint32_t head = 0;
    uint32_t tail = 0;
  };
  enum ListId { kMain, kTemp };
  List& listOf(const Item* item) { return lists_[item->temporary() ? kTemp : kMain]; }
  void pushHead(Item* item);
  void remove(Item* item);

  const Arena& arena_;
  const uint8_t id_;
  const uint32_t chunk_size_;
  const uint32_t chunks_per_page_;
  std::mutex mutex_;
  uint32_t free_head_ = 0;          // free list through hash_next_
  std::byte* carve_page_ = nullptr; // the newest page
  std::byte* carve_next_ = nullptr; // its unused end
  uint32_t carve_left_ = 0;         // chunks left there
  std::vector<std::byte*> pages_;
  std::byte* leaving_page_ = nullptr;
  List lists_[2];
  uint32_t crawl_cursor_ = 0;
  SizeClassCounters counters_;
};

}  // namespace unbuckle::store
