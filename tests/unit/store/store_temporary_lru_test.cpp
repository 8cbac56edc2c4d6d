// memcached's temporary LRU (-o temporary_ttl, `lru temp_ttl`): which items
// go there, that eviction never takes them, and that they are still
// reclaimed once dead.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "store/store.h"
#include "store_access.h"

namespace unbuckle::store {
namespace {

using test::contains;
using test::deleteItem;
using test::numbered;
using test::setItem;

constexpr size_t kMiB = size_t{1} << 20;
const std::string kValue(100, 'v');

StoreConfig oneMiB() {
  StoreConfig c;
  c.memory_limit = kMiB;
  c.automove = 0;
  return c;
}

bool isTemporary(Store& store, std::string_view key) {
  return store.access(key, [](Access& a) { return a.item() != nullptr && a.item()->temporary(); });
}

class TemporaryLru : public ::testing::Test {
 protected:
  TemporaryLru() : store_(oneMiB(), clock_) { clock_.set(1000); }
  uint64_t chunksPerPage() { return store_.stats().classes.at(0).chunks_per_page; }

  ManualClock clock_;
  Store store_;
};

TEST_F(TemporaryLru, OffByDefaultWithMemcachedsTtl) {
  const Store::TemporaryLru temp = store_.temporaryLru();
  EXPECT_FALSE(temp.on);
  EXPECT_EQ(temp.ttl, 61u);
  ASSERT_EQ(setItem(store_, "short", kValue, 0, clock_.now() + 5), AllocError::kNone);
  EXPECT_FALSE(isTemporary(store_, "short"));
  EXPECT_EQ(store_.stats().classes.at(0).temp_items, 0u);
}

// memcached's do_item_alloc: exptime - current_time <= temporary_ttl,
// unsigned, so never-expiring and already-expired items are not temporary.
TEST_F(TemporaryLru, ChoosesItemsByTtlAsMemcached) {
  store_.setTemporaryLru(true, 61);
  const RelTime now = clock_.now();
  ASSERT_EQ(setItem(store_, "ttl1", kValue, 0, now + 1), AllocError::kNone);
  ASSERT_EQ(setItem(store_, "ttl61", kValue, 0, now + 61), AllocError::kNone);
  ASSERT_EQ(setItem(store_, "ttl62", kValue, 0, now + 62), AllocError::kNone);
  ASSERT_EQ(setItem(store_, "never", kValue, 0, 0), AllocError::kNone);
  EXPECT_TRUE(isTemporary(store_, "ttl1"));
  EXPECT_TRUE(isTemporary(store_, "ttl61"));
  EXPECT_FALSE(isTemporary(store_, "ttl62"));
  EXPECT_FALSE(isTemporary(store_, "never"));
  const SlabClassStats c = store_.stats().classes.at(0);
  EXPECT_EQ(c.items, 4u);
  EXPECT_EQ(c.temp_items, 2u);
  EXPECT_TRUE(deleteItem(store_, "ttl1"));
  EXPECT_EQ(store_.stats().classes.at(0).temp_items, 1u);
}

TEST_F(TemporaryLru, TemporaryItemsAreNeverEvicted) {
  store_.setTemporaryLru(true, 61);
  // The temporary items are the oldest: a single LRU would evict them first.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(setItem(store_, numbered("temp", i), kValue, 0, clock_.now() + 30), AllocError::kNone);
  }
  const uint64_t capacity = chunksPerPage();
  for (uint64_t i = 0; i < 2 * capacity; ++i) {
    ASSERT_EQ(setItem(store_, numbered("long", i), kValue, 0, clock_.now() + 3600), AllocError::kNone);
  }
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(contains(store_, numbered("temp", i))) << i;
  const StoreStats s = store_.stats();
  EXPECT_EQ(s.evictions, capacity + 3);
  EXPECT_EQ(s.classes.at(0).temp_items, 3u);
  EXPECT_EQ(s.curr_items, capacity);
}

// With every chunk in the temporary LRU nothing can be evicted: the set
// fails at once instead of waiting for chunks that will never free up.
TEST_F(TemporaryLru, FullOfTemporaryItemsIsOutOfMemoryAtOnce) {
  store_.setTemporaryLru(true, 61);
  ASSERT_EQ(setItem(store_, "temp0", kValue, 0, clock_.now() + 30), AllocError::kNone);
  const uint64_t capacity = chunksPerPage();
  for (uint64_t i = 1; i < capacity; ++i) {
    ASSERT_EQ(setItem(store_, numbered("temp", i), kValue, 0, clock_.now() + 30), AllocError::kNone);
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(setItem(store_, "one-more", kValue, 0, clock_.now() + 3600), AllocError::kOutOfMemory);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(40));
  EXPECT_EQ(store_.stats().evictions, 0u);
  // Once they expire the maintainer's tail pass reclaims them (a set pulls
  // only the evictable LRU's tail, as memcached's do_item_alloc_pull).
  clock_.advance(31);
  EXPECT_EQ(store_.reclaimTails(capacity), capacity);
  EXPECT_EQ(setItem(store_, "one-more", kValue, 0, clock_.now() + 3600), AllocError::kNone);
}

TEST_F(TemporaryLru, DeadTemporaryItemsAreReclaimedInTheBackground) {
  store_.setTemporaryLru(true, 61);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(setItem(store_, numbered("tail", i), kValue, 0, clock_.now() + 10), AllocError::kNone);
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(setItem(store_, numbered("crawl", i), kValue, 0, clock_.now() + 20), AllocError::kNone);
  }
  ASSERT_EQ(setItem(store_, "live", kValue, 0, 0), AllocError::kNone);
  clock_.advance(11);
  // The maintainer's tail pass reclaims the temporary LRU's dead tail...
  EXPECT_EQ(store_.reclaimTails(1000), 10u);
  EXPECT_EQ(store_.stats().reclaimed, 10u);
  clock_.advance(10);
  // ...and the crawler walks the temporary LRU after the main one.
  EXPECT_EQ(store_.crawl(1000), 10u);
  const StoreStats s = store_.stats();
  EXPECT_EQ(s.crawler_reclaimed, 10u);
  EXPECT_EQ(s.curr_items, 1u);
  EXPECT_EQ(s.classes.at(0).temp_items, 0u);
  EXPECT_TRUE(contains(store_, "live"));
}

// `lru temp_ttl -1`: later items are evictable again, the ttl is kept, and
// items already temporary stay so (memcached never moves them out).
TEST_F(TemporaryLru, TurningItOffKeepsTtlAndExistingItems) {
  store_.setTemporaryLru(true, 100);
  ASSERT_EQ(setItem(store_, "before", kValue, 0, clock_.now() + 90), AllocError::kNone);
  store_.setTemporaryLru(false, 100);
  ASSERT_EQ(setItem(store_, "after", kValue, 0, clock_.now() + 90), AllocError::kNone);
  EXPECT_TRUE(isTemporary(store_, "before"));
  EXPECT_FALSE(isTemporary(store_, "after"));
  EXPECT_EQ(store_.temporaryLru().ttl, 100u);
  EXPECT_FALSE(store_.temporaryLru().on);
}

// A page move copies a temporary item into a free chunk: it stays in the
// temporary LRU and keeps its protection.
TEST_F(TemporaryLru, PageMoveKeepsItemsTemporary) {
  StoreConfig c = oneMiB();
  c.memory_limit = 4 * kMiB;
  Store store(c, clock_);
  store.setTemporaryLru(true, 61);
  ASSERT_EQ(setItem(store, "temp", kValue, 0, clock_.now() + 30), AllocError::kNone);
  // A second page in the class, then the first (the temporary item's) goes
  // to the global pool: its items are copied onto the second page.
  for (int i = 0; store.stats().classes.at(0).total_pages < 2; ++i) {
    ASSERT_EQ(setItem(store, numbered("k", i), kValue), AllocError::kNone);
  }
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(deleteItem(store, numbered("k", i)));
  ASSERT_EQ(store.reassign(store.stats().classes.at(0).id, 0), Reassign::kOk);
  EXPECT_EQ(store.stats().classes.at(0).total_pages, 1u);
  EXPECT_GE(store.stats().slab_reassign_rescues, 1u);
  EXPECT_TRUE(isTemporary(store, "temp"));
  EXPECT_EQ(store.stats().classes.at(0).temp_items, 1u);
}

}  // namespace
}  // namespace unbuckle::store
