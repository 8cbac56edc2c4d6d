// The store's walks for the dump commands: a class's LRU from its head
// (stats cachedump) and every item shard by shard (lru_crawler metadump).
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/clock.h"
#include "store/store.h"
#include "store_access.h"

namespace unbuckle::store {
namespace {

using test::numbered;
using test::setItem;

std::vector<std::string> keysOf(const std::vector<Store::ItemSnapshot>& items) {
  std::vector<std::string> keys;
  for (const auto& s : items) keys.push_back(s.key);
  return keys;
}

TEST(StoreDump, ClassHeadWalksFromTheMostRecent) {
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  ASSERT_EQ(setItem(store, "a", "1"), AllocError::kNone);
  ASSERT_EQ(setItem(store, "b", "22", 7, 100), AllocError::kNone);
  ASSERT_EQ(setItem(store, "big", std::string(5000, 'x')), AllocError::kNone);
  EXPECT_EQ(keysOf(store.classHead(1, 10)), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(keysOf(store.classHead(1, 1)), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(store.classHead(0, 10).empty());
  EXPECT_TRUE(store.classHead(200, 10).empty());
  const Store::ItemSnapshot b = store.classHead(1, 1).front();
  EXPECT_EQ(b.value_length, 2u);
  EXPECT_EQ(b.exptime, 100u);
  EXPECT_EQ(b.cas, 2u);
  EXPECT_FALSE(b.fetched);
  EXPECT_FALSE(b.flushed);
  // Flushed items stay in the LRU until reached, and say so.
  store.flushAll(clock.now() - 1);
  EXPECT_TRUE(store.classHead(1, 1).front().flushed);
}

TEST(StoreDump, ForEachItemSeesEveryItemOnce) {
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  std::set<std::string> keys;
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(setItem(store, numbered("k", i), "v"), AllocError::kNone);
    keys.insert(numbered("k", i));
  }
  std::multiset<std::string> seen;
  store.forEachItem([&](const Store::ItemSnapshot& s) { seen.insert(s.key); });
  EXPECT_EQ(seen, std::multiset<std::string>(keys.begin(), keys.end()));
}

// The walks run beside writers: no lock is held across them, nothing torn.
TEST(StoreDump, WalksBesideWriters) {
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 20000; ++i) {
      setItem(store, numbered("w", i % 500), std::string(static_cast<size_t>(i % 50), 'v'));
      if (i % 7 == 0) test::deleteItem(store, numbered("w", (i / 7) % 500));
    }
    done = true;
  });
  size_t walks = 0;
  while (!done.load() || walks == 0) {
    store.forEachItem([&](const Store::ItemSnapshot& s) { EXPECT_EQ(s.key[0], 'w'); });
    for (const auto& s : store.classHead(1, 1000)) EXPECT_EQ(s.key[0], 'w');
    ++walks;
  }
  writer.join();
}

}  // namespace
}  // namespace unbuckle::store
