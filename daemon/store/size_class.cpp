#include "store/size_class.h"

#include <new>

namespace unbuckle::store {

SizeClass::SizeClass(const Arena& arena, uint8_t id, uint32_t chunk_size)
    : arena_(arena),
      id_(id),
      chunk_size_(chunk_size),
      chunks_per_page_(static_cast<uint32_t>(arena.pageSize() / chunk_size)) {}

Item* SizeClass::takeChunk(size_t size) {
  Item* chunk = arena_.at<Item>(free_head_);
  if (chunk != nullptr) {
    free_head_ = chunk->hash_next_;
  } else if (carve_left_ > 0) {
    chunk = new (carve_next_) Item;
    carve_next_ += chunk_size_;
    --carve_left_;
  } else {
    return nullptr;
  }
  ++counters_.used_chunks;
  counters_.mem_requested += size;
  return chunk;
}

void SizeClass::addPage(std::byte* page) {
  // The previous page is always used up before a new one is asked for.
  carve_next_ = page;
  carve_left_ = chunks_per_page_;
  ++counters_.pages;
}

void SizeClass::returnChunk(Item* chunk) {
  --counters_.used_chunks;
  counters_.mem_requested -= chunk->totalSize();
  chunk->hash_next_ = free_head_;
  free_head_ = arena_.ref(chunk);
}

void SizeClass::pushHead(Item* item) {
  uint32_t ref = arena_.ref(item);
  item->lru_prev_ = 0;
  item->lru_next_ = lru_head_;
  if (lru_head_ != 0) {
    arena_.at<Item>(lru_head_)->lru_prev_ = ref;
  } else {
    lru_tail_ = ref;
  }
  lru_head_ = ref;
}

void SizeClass::remove(Item* item) {
  if (crawl_cursor_ == arena_.ref(item)) crawl_cursor_ = item->lru_prev_;
  if (item->lru_prev_ != 0) {
    arena_.at<Item>(item->lru_prev_)->lru_next_ = item->lru_next_;
  } else {
    lru_head_ = item->lru_next_;
  }
  if (item->lru_next_ != 0) {
    arena_.at<Item>(item->lru_next_)->lru_prev_ = item->lru_prev_;
  } else {
    lru_tail_ = item->lru_prev_;
  }
  item->lru_prev_ = 0;
  item->lru_next_ = 0;
}

void SizeClass::lruAdd(Item* item) {
  pushHead(item);
  ++counters_.items;
  ++counters_.total_items;
  counters_.bytes += item->totalSize();
}

void SizeClass::lruDrop(Item* item) {
  remove(item);
  --counters_.items;
  counters_.bytes -= item->totalSize();
}

void SizeClass::lruBump(Item* item) {
  remove(item);
  pushHead(item);
}

}  // namespace unbuckle::store
