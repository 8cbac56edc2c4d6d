#include "store/size_class.h"

#include <algorithm>
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
  chunk->chunk_state_ = static_cast<uint8_t>(ChunkState::kAllocated);
  ++counters_.used_chunks;
  counters_.mem_requested += size;
  return chunk;
}

void SizeClass::addPage(std::byte* page) {
  // Another thread may have added a page since this one was asked for.
  for (; carve_left_ > 0; --carve_left_, carve_next_ += chunk_size_) pushFree(new (carve_next_) Item);
  carve_page_ = page;
  carve_next_ = page;
  carve_left_ = chunks_per_page_;
  pages_.push_back(page);
  ++counters_.total_pages;
}

std::byte* SizeClass::carvedEnd(std::byte* page) const {
  return page == carve_page_ ? carve_next_ : page + size_t{chunks_per_page_} * chunk_size_;
}

uint32_t SizeClass::claimPage(std::byte* page) {
  if (page == carve_page_) {
    for (; carve_left_ > 0; --carve_left_, carve_next_ += chunk_size_) {
      (new (carve_next_) Item)->chunk_state_ = static_cast<uint8_t>(ChunkState::kFree);
    }
  }
  leaving_page_ = page;
  uint32_t taken = 0;
  uint32_t* link = &free_head_;
  while (*link != 0) {
    Item* chunk = arena_.at<Item>(*link);
    if (inLeavingPage(chunk)) {
      *link = chunk->hash_next_;
      ++taken;
    } else {
      link = &chunk->hash_next_;
    }
  }
  return taken;
}

uint32_t SizeClass::usedChunksOn(std::byte* page) const {
  uint32_t used = 0;
  for (std::byte* p = page; p < carvedEnd(page); p += chunk_size_) {
    used += reinterpret_cast<const Item*>(p)->chunk_state_ != static_cast<uint8_t>(ChunkState::kFree);
  }
  return used;
}

void SizeClass::unclaimPage() {
  std::byte* page = leaving_page_;
  leaving_page_ = nullptr;
  for (std::byte* p = page; p < carvedEnd(page); p += chunk_size_) {
    auto* chunk = reinterpret_cast<Item*>(p);
    if (chunk->chunk_state_ == static_cast<uint8_t>(ChunkState::kFree)) pushFree(chunk);
  }
}

std::byte* SizeClass::removeClaimedPage() {
  std::byte* page = leaving_page_;
  leaving_page_ = nullptr;
  if (page == carve_page_) {
    carve_page_ = nullptr;
    carve_next_ = nullptr;
  }
  pages_.erase(std::find(pages_.begin(), pages_.end(), page));
  --counters_.total_pages;
  ++counters_.pages_moved_out;
  return page;
}

bool SizeClass::inLeavingPage(const Item* chunk) const {
  auto* p = reinterpret_cast<const std::byte*>(chunk);
  return leaving_page_ != nullptr && p >= leaving_page_ && p < leaving_page_ + arena_.pageSize();
}

void SizeClass::returnChunk(Item* chunk) {
  --counters_.used_chunks;
  counters_.mem_requested -= chunk->totalSize();
  if (inLeavingPage(chunk)) {
    chunk->chunk_state_ = static_cast<uint8_t>(ChunkState::kFree);
  } else {
    pushFree(chunk);
  }
}

void SizeClass::pushFree(Item* chunk) {
  chunk->chunk_state_ = static_cast<uint8_t>(ChunkState::kFree);
  chunk->hash_next_ = free_head_;
  free_head_ = arena_.ref(chunk);
}

void SizeClass::pushHead(Item* item) {
  List& list = listOf(item);
  uint32_t ref = arena_.ref(item);
  item->lru_prev_ = 0;
  item->lru_next_ = list.head;
  if (list.head != 0) {
    arena_.at<Item>(list.head)->lru_prev_ = ref;
  } else {
    list.tail = ref;
  }
  list.head = ref;
}

void SizeClass::remove(Item* item) {
  List& list = listOf(item);
  if (crawl_cursor_ == arena_.ref(item)) crawl_cursor_ = item->lru_prev_;
  if (item->lru_prev_ != 0) {
    arena_.at<Item>(item->lru_prev_)->lru_next_ = item->lru_next_;
  } else {
    list.head = item->lru_next_;
  }
  if (item->lru_next_ != 0) {
    arena_.at<Item>(item->lru_next_)->lru_prev_ = item->lru_prev_;
  } else {
    list.tail = item->lru_prev_;
  }
  item->lru_prev_ = 0;
  item->lru_next_ = 0;
}

void SizeClass::lruAdd(Item* item) {
  item->chunk_state_ = static_cast<uint8_t>(ChunkState::kLinked);
  pushHead(item);
  ++counters_.items;
  if (item->temporary()) ++counters_.temp_items;
  ++counters_.total_items;
  counters_.bytes += item->totalSize();
}

void SizeClass::lruDrop(Item* item) {
  item->chunk_state_ = static_cast<uint8_t>(ChunkState::kAllocated);
  remove(item);
  --counters_.items;
  if (item->temporary()) --counters_.temp_items;
  counters_.bytes -= item->totalSize();
}

void SizeClass::lruReplace(Item* item, Item* copy) {
  List& list = listOf(copy);
  const uint32_t ref = arena_.ref(copy);
  copy->lru_prev_ = item->lru_prev_;
  copy->lru_next_ = item->lru_next_;
  if (copy->lru_prev_ != 0) {
    arena_.at<Item>(copy->lru_prev_)->lru_next_ = ref;
  } else {
    list.head = ref;
  }
  if (copy->lru_next_ != 0) {
    arena_.at<Item>(copy->lru_next_)->lru_prev_ = ref;
  } else {
    list.tail = ref;
  }
  if (crawl_cursor_ == arena_.ref(item)) crawl_cursor_ = ref;
  copy->chunk_state_ = static_cast<uint8_t>(ChunkState::kLinked);
  item->chunk_state_ = static_cast<uint8_t>(ChunkState::kAllocated);
  returnChunk(item);
}

void SizeClass::lruBump(Item* item) {
  remove(item);
  pushHead(item);
}

Item* SizeClass::crawlNext(const Item* item) const {
  if (item->lru_prev_ != 0) return arena_.at<Item>(item->lru_prev_);
  // The main LRU's head leads on to the temporary LRU's tail.
  return arena_.ref(item) == lists_[kMain].head ? tempTail() : nullptr;
}

}  // namespace unbuckle::store
