#include "store/hash_index.h"

#include <cstring>
#include <new>

#include "store/key_hash.h"

namespace unbuckle::store {

HashIndex::HashIndex(const Arena& arena, unsigned initial_power)
    : arena_(arena), table_(allocateBuckets(size_t{1} << initial_power)), mask_((size_t{1} << initial_power) - 1) {}

HashIndex::Buckets HashIndex::allocateBuckets(size_t count) {
  // calloc: large tables come as fresh zero pages, not a memset under the lock.
  auto* p = static_cast<uint32_t*>(std::calloc(count, sizeof(uint32_t)));
  if (p == nullptr) throw std::bad_alloc();
  return Buckets(p);
}

uint32_t* HashIndex::bucketFor(uint64_t hash) const {
  if (old_) {
    size_t old_bucket = hash & old_mask_;
    if (old_bucket >= migrated_) return &old_[old_bucket];
  }
  return &table_[hash & mask_];
}

Item* HashIndex::find(std::string_view key, uint64_t hash) const {
  for (uint32_t ref = *bucketFor(hash); ref != 0;) {
    Item* item = arena_.at<Item>(ref);
    if (item->key_length_ == key.size() && std::memcmp(item->replyBytes() + Item::kKeyOffset, key.data(), key.size()) == 0) {
      return item;
    }
    ref = item->hash_next_;
  }
  return nullptr;
}

void HashIndex::insert(Item* item, uint64_t hash) {
  uint32_t* bucket = bucketFor(hash);
  item->hash_next_ = *bucket;
  *bucket = arena_.ref(item);
  ++items_;
  if (!old_ && items_ > bucketCount() + bucketCount() / 2) {
    // Start growing; the old table drains in migrate() steps.
    Buckets bigger = allocateBuckets(bucketCount() * 2);
    old_ = std::move(table_);
    old_mask_ = mask_;
    migrated_ = 0;
    table_ = std::move(bigger);
    mask_ = mask_ * 2 + 1;
  }
}

void HashIndex::remove(Item* item, uint64_t hash) {
  uint32_t target = arena_.ref(item);
  for (uint32_t* link = bucketFor(hash); *link != 0; link = &arena_.at<Item>(*link)->hash_next_) {
    if (*link == target) {
      *link = item->hash_next_;
      --items_;
      return;
    }
  }
}

void HashIndex::migrateSome(size_t buckets) {
  for (; buckets > 0 && migrated_ <= old_mask_; --buckets, ++migrated_) {
    uint32_t ref = old_[migrated_];
    old_[migrated_] = 0;
    while (ref != 0) {
      Item* item = arena_.at<Item>(ref);
      uint32_t next = item->hash_next_;
      uint32_t& bucket = table_[hashKey(item->key()) & mask_];
      item->hash_next_ = bucket;
      bucket = ref;
      ref = next;
    }
  }
  if (migrated_ > old_mask_) old_.reset();
}

}  // namespace unbuckle::store
