// The key hash and the sharded index growing under load.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "store/key_hash.h"
#include "store/store.h"
#include "store_access.h"

namespace unbuckle::store {
namespace {

using test::contains;
using test::deleteItem;
using test::setItem;

TEST(KeyHash, SpreadsSequentialKeysOverShardsAndBuckets) {
  constexpr int kKeys = 100000;
  std::vector<int> shards(256);
  std::vector<int> buckets(1024);
  for (int i = 0; i < kKeys; ++i) {
    uint64_t h = hashKey(test::numbered("user:", i));
    ++shards[h >> 56];
    ++buckets[h & 1023];
  }
  // Means 390.6 and 97.7; the bounds are about five standard deviations.
  for (int n : shards) {
    EXPECT_GT(n, 290);
    EXPECT_LT(n, 490);
  }
  for (int n : buckets) {
    EXPECT_GT(n, 48);
    EXPECT_LT(n, 148);
  }
}

TEST(KeyHash, EveryLengthAndEveryByteMatters) {
  std::string base(40, 'a');
  std::set<uint64_t> seen;
  for (size_t len = 0; len <= base.size(); ++len) EXPECT_TRUE(seen.insert(hashKey(base.substr(0, len))).second);
  for (size_t pos = 0; pos < base.size(); ++pos) {
    std::string flipped = base;
    flipped[pos] = 'b';
    EXPECT_TRUE(seen.insert(hashKey(flipped)).second) << pos;
  }
  EXPECT_EQ(hashKey("same"), hashKey(std::string("same")));
}

std::string hkey(int i) { return test::numbered("h", i); }

TEST(StoreHash, GrowsWhileEveryKeyStaysReachable) {
  constexpr int kKeys = 200000;
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  int checks_mid_rehash = 0;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(setItem(store, hkey(i), std::to_string(i)), AllocError::kNone);
    if (i % 4000 == 3999 && store.stats().hash_is_expanding) {
      ++checks_mid_rehash;
      for (int j = 0; j <= i; ++j) ASSERT_TRUE(contains(store, hkey(j))) << "key " << j << " of " << i;
    }
  }
  EXPECT_GT(checks_mid_rehash, 0);

  // Deletes while tables are still migrating, then everything else is intact.
  for (int i = 0; i < kKeys; i += 3) ASSERT_TRUE(deleteItem(store, hkey(i)));
  for (int i = 0; i < kKeys; ++i) {
    bool expected = i % 3 != 0;
    ASSERT_EQ(contains(store, hkey(i)), expected) << i;
  }
  StoreStats s = store.stats();
  EXPECT_EQ(s.curr_items, static_cast<uint64_t>(kKeys - (kKeys + 2) / 3));
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_GE(s.hash_power_level, 17u);
  EXPECT_GE(s.hash_bytes, (size_t{1} << 17) * 4);
}

}  // namespace
}  // namespace unbuckle::store
