// One shard's hash table: buckets of arena references, items chained
// through Item::hash_next_. Not thread-safe; the shard's mutex guards it.
//
// Growth is incremental so that it never stalls the shard: when the load
// passes 1.5 items per bucket a table twice the size is allocated and the
// old one stays; each migrate() call moves a few old buckets over.
//
//   old_    [b0][b1][b2][b3]           buckets < migrated_ are empty (moved)
//                    ^ migrated_
//   table_  [  ][  ][  ][  ][  ][  ][  ][  ]   old bucket b splits into b and b+4
//
// A key whose old bucket is below migrated_ lives in table_, else in old_.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "store/arena.h"
#include "store/store.h"

namespace unbuckle::store {

class HashIndex {
 public:
  HashIndex(const Arena& arena, unsigned initial_power);

  Item* find(std::string_view key, uint64_t hash) const;
  void insert(Item* item, uint64_t hash);   // the key must not be present
  void remove(Item* item, uint64_t hash);   // the item must be present
  // Moves up to `buckets` old buckets if a growth is under way.
  void migrate(size_t buckets) {
    if (old_) migrateSome(buckets);
  }

  // Calls fn(const Item&) for every item, old buckets not yet moved included.
  template <typename Fn>
  void forEach(Fn&& fn) const {
    auto chain = [&](uint32_t ref) {
      for (; ref != 0; ref = arena_.at<Item>(ref)->hash_next_) fn(*arena_.at<Item>(ref));
    };
    for (size_t b = 0; b <= mask_; ++b) chain(table_[b]);
    for (size_t b = migrated_; old_ && b <= old_mask_; ++b) chain(old_[b]);
  }

  bool expanding() const { return old_ != nullptr; }
  size_t bucketCount() const { return mask_ + 1; }
  size_t bytes() const { return (bucketCount() + (old_ ? old_mask_ + 1 : 0)) * sizeof(uint32_t); }

 private:
  struct FreeBuckets {
    void operator()(uint32_t* p) const { std::free(p); }
  };
  using Buckets = std::unique_ptr<uint32_t[], FreeBuckets>;

  static Buckets allocateBuckets(size_t count);
  uint32_t* bucketFor(uint64_t hash) const;
  void migrateSome(size_t buckets);

  const Arena& arena_;
  Buckets table_;
  size_t mask_;
  Buckets old_;            // set while growing
  size_t old_mask_ = 0;
  size_t migrated_ = 0;    // old buckets already moved
  size_t items_ = 0;
};

}  // namespace unbuckle::store
