// LRU eviction, its protections, out of memory, and capacity against memcached.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "store/key_hash.h"
#include "store/store.h"
#include "store_access.h"

namespace unbuckle::store {
namespace {

using test::contains;
using test::getReply;
using test::setItem;

constexpr size_t kMiB = size_t{1} << 20;

std::string keyOf(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "key%05d", i);
  return buf;
}

const std::string kValue(100, 'v');

// A one-page store full of equal items key00000.. (oldest first).
class FullStore : public ::testing::Test {
 protected:
  FullStore() : store_(config(), clock_) {
    EXPECT_EQ(setItem(store_, keyOf(0), kValue), AllocError::kNone);
    capacity_ = static_cast<int>(store_.stats().classes.at(0).chunks_per_page);
    for (int i = 1; i < capacity_; ++i) EXPECT_EQ(setItem(store_, keyOf(i), kValue), AllocError::kNone);
    EXPECT_EQ(store_.stats().evictions, 0u);
  }
  static StoreConfig config() {
    StoreConfig c;
    c.memory_limit = kMiB;
    return c;
  }
  size_t shardOf(const std::string& key) { return hashKey(key) >> 56; }

  ManualClock clock_;
  Store store_;
  int capacity_ = 0;
};

TEST_F(FullStore, EvictsInLeastRecentlyUsedOrder) {
  EXPECT_EQ(capacity_, static_cast<int>(kMiB / 192));   // 169-byte items in 192-byte chunks
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(setItem(store_, keyOf(capacity_ + i), kValue), AllocError::kNone);
    EXPECT_FALSE(contains(store_, keyOf(i)));
    EXPECT_TRUE(contains(store_, keyOf(i + 1)));
  }
  StoreStats s = store_.stats();
  EXPECT_EQ(s.evictions, 10u);
  EXPECT_EQ(s.evicted_unfetched, 10u);
  EXPECT_EQ(s.curr_items, static_cast<uint64_t>(capacity_));
  EXPECT_EQ(s.classes[0].evicted, 10u);
  EXPECT_EQ(s.classes[0].evicted_nonzero, 0u);
}

TEST_F(FullStore, BumpProtectsFromEviction) {
  clock_.advance(61);
  ASSERT_TRUE(getReply(store_, keyOf(0)).has_value());   // relinked at the head
  ASSERT_EQ(setItem(store_, "new1", kValue), AllocError::kNone);
  EXPECT_TRUE(contains(store_, keyOf(0)));
  EXPECT_FALSE(contains(store_, keyOf(1)));
  // key00000 is now the most recent: everything else goes before it.
  for (int i = 2; i < capacity_; ++i) {
    ASSERT_EQ(setItem(store_, test::numbered("more", i), kValue), AllocError::kNone);
  }
  EXPECT_TRUE(contains(store_, keyOf(0)));
  EXPECT_EQ(store_.stats().classes[0].evicted_time, 61u);   // seconds since the victim's last access
  ASSERT_EQ(setItem(store_, "last", kValue), AllocError::kNone);
  EXPECT_FALSE(contains(store_, keyOf(0)));
  StoreStats s = store_.stats();
  EXPECT_EQ(s.evictions, static_cast<uint64_t>(capacity_));
  EXPECT_EQ(s.evicted_unfetched, s.evictions - 1);   // key00000 had been fetched
  EXPECT_EQ(s.classes[0].evicted_time, 0u);
}

TEST_F(FullStore, BumpWithinAMinuteDoesNotRelink) {
  clock_.advance(60);
  ASSERT_TRUE(getReply(store_, keyOf(0)).has_value());
  ASSERT_EQ(setItem(store_, "new1", kValue), AllocError::kNone);
  EXPECT_FALSE(contains(store_, keyOf(0)));
  store_.access(keyOf(1), [](Access& a) { EXPECT_EQ(a.item()->lastAccess(), 2u); });
}

TEST_F(FullStore, NeverEvictsTheAccessedItem) {
  // key00000 is the LRU tail; replacing it must take another chunk.
  const std::string replacement(100, 'n');
  store_.access(keyOf(0), [&](Access& a) {
    ASSERT_NE(a.item(), nullptr);
    Allocation fresh = a.allocate(7, 0, 100);
    ASSERT_NE(fresh.item, nullptr);
    std::memcpy(fresh.item->mutableValue(), replacement.data(), replacement.size());
    a.link(fresh.item);
  });
  EXPECT_EQ(getReply(store_, keyOf(0)), test::expectedReply(keyOf(0), 7, replacement));
  EXPECT_FALSE(contains(store_, keyOf(1)));
  EXPECT_EQ(store_.stats().evictions, 1u);
}

TEST_F(FullStore, ReclaimsExpiredTailItemsBeforeEvicting) {
  store_.access(keyOf(2), [](Access& a) { a.setExptime(5); });   // a touch does not relink
  clock_.set(10);
  ASSERT_EQ(setItem(store_, "new1", kValue), AllocError::kNone);
  StoreStats s = store_.stats();
  EXPECT_EQ(s.reclaimed, 1u);
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_EQ(s.expired_unfetched, 1u);
  EXPECT_TRUE(contains(store_, keyOf(0)));
  ASSERT_EQ(setItem(store_, "new2", kValue), AllocError::kNone);
  EXPECT_FALSE(contains(store_, keyOf(0)));
  EXPECT_EQ(store_.stats().evictions, 1u);
}

TEST_F(FullStore, SkipsItemsWhoseShardIsBusy) {
  std::promise<void> locked;
  std::promise<void> release;
  std::thread holder([&] {
    store_.access(keyOf(0), [&](Access&) {
      locked.set_value();
      release.get_future().wait();
    });
  });
  locked.get_future().wait();
  int expected_victim = 1;
  while (shardOf(keyOf(expected_victim)) == shardOf(keyOf(0))) ++expected_victim;
  std::string fresh = "fresh";
  while (shardOf(fresh) == shardOf(keyOf(0))) fresh += "x";
  EXPECT_EQ(setItem(store_, fresh, kValue), AllocError::kNone);
  release.set_value();
  holder.join();
  EXPECT_TRUE(contains(store_, keyOf(0)));
  EXPECT_FALSE(contains(store_, keyOf(expected_victim)));
  EXPECT_EQ(store_.stats().evictions, 1u);
}

TEST_F(FullStore, AClassWithoutPagesTakesOneFromAnotherClass) {
  // The only page belongs to the 192-byte class; a bigger item gets it, and
  // every item on it goes.
  const std::string big(1000, 'b');
  ASSERT_EQ(setItem(store_, "big", big), AllocError::kNone);
  EXPECT_EQ(getReply(store_, "big"), test::expectedReply("big", 0, big));
  StoreStats s = store_.stats();
  EXPECT_EQ(s.slabs_moved, 1u);
  EXPECT_EQ(s.evictions, static_cast<uint64_t>(capacity_));
  EXPECT_EQ(s.curr_items, 1u);
  EXPECT_EQ(s.total_malloced, kMiB);
  ASSERT_EQ(s.classes.size(), 1u);
  EXPECT_GE(s.classes[0].chunk_size, 1000u);
  EXPECT_EQ(s.classes[0].used_chunks, 1u);
  EXPECT_EQ(s.classes[0].free_chunks, s.classes[0].total_chunks - 1);

  // And back: the small class has no page now.
  ASSERT_EQ(setItem(store_, keyOf(0), kValue), AllocError::kNone);
  s = store_.stats();
  EXPECT_EQ(s.slabs_moved, 2u);
  EXPECT_FALSE(contains(store_, "big"));
  ASSERT_EQ(s.classes.size(), 1u);
  EXPECT_EQ(s.classes[0].chunk_size, 192u);
  EXPECT_EQ(s.classes[0].used_chunks, 1u);
  EXPECT_EQ(s.classes[0].free_chunks, static_cast<uint64_t>(capacity_ - 1));
}

TEST_F(FullStore, APageHoldingTheAccessedItemStays) {
  // Replacing an item by a bigger value needs the only page, which holds
  // that item itself: memcached's order (allocate, then replace) keeps it,
  // and the page's other items are not evicted for nothing.
  const std::string middle = keyOf(capacity_ / 2);
  EXPECT_EQ(setItem(store_, middle, std::string(1000, 'b')), AllocError::kOutOfMemory);
  StoreStats s = store_.stats();
  EXPECT_EQ(s.slabs_moved, 0u);
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_EQ(s.curr_items, static_cast<uint64_t>(capacity_));
  EXPECT_TRUE(contains(store_, middle));
}

TEST_F(FullStore, APageWithAChunkBeingFilledStays) {
  // A set in flight on the only page (allocated, not yet linked) pins it.
  bool in_flight_ok = false;
  AllocError big = AllocError::kNone;
  store_.access("filling", [&](Access& a) {
    Allocation fresh = a.allocate(0, 0, 100);   // evicts key00000, takes its chunk
    in_flight_ok = fresh.item != nullptr;
    big = a.allocate(0, 0, 1000).error;
    if (fresh.item != nullptr) a.release(fresh.item);
  });
  EXPECT_TRUE(in_flight_ok);
  EXPECT_EQ(big, AllocError::kOutOfMemory);
  EXPECT_EQ(store_.stats().slabs_moved, 0u);
}

// The item sizes change completely several times, in a store that fills up
// in each phase: every set succeeds, the last phase's items read back whole,
// and the pages are all accounted for.
TEST(StoreEviction, ShiftingItemSizesNeverFailASet) {
  ManualClock clock;
  StoreConfig config;
  config.memory_limit = 8 * kMiB;
  Store store(config, clock);
  const size_t lengths[] = {100, 5000, 200000, 30, 1000000, 700, 100};
  int key = 0;
  for (size_t length : lengths) {
    const std::string value(length, static_cast<char>('a' + length % 26));
    const int count = static_cast<int>(2 * config.memory_limit / (length + 60)) + 2;
    for (int i = 0; i < count; ++i, ++key) {
      ASSERT_EQ(setItem(store, keyOf(key), value), AllocError::kNone) << "value length " << length;
    }
    EXPECT_EQ(getReply(store, keyOf(key - 1)), test::expectedReply(keyOf(key - 1), 0, value));
  }
  StoreStats s = store.stats();
  EXPECT_GT(s.slabs_moved, 0u);
  uint64_t pages = 0;
  uint64_t outofmemory = 0;
  for (const SlabClassStats& c : s.classes) {
    pages += c.total_pages;
    outofmemory += c.outofmemory;
    EXPECT_EQ(c.used_chunks, c.items);
  }
  EXPECT_EQ(pages, 8u);
  EXPECT_EQ(s.total_malloced, 8 * kMiB);
  EXPECT_EQ(outofmemory, 0u);
}

TEST(StoreEviction, OutOfMemoryWhenEveryChunkIsAllocatedButUnlinked) {
  ManualClock clock;
  StoreConfig config;
  config.memory_limit = kMiB;
  Store store(config, clock);
  std::vector<Item*> held;
  AllocError error = AllocError::kNone;
  while (error == AllocError::kNone && held.size() < 100000) {
    store.access(test::numbered("k", held.size()), [&](Access& a) {
      Allocation fresh = a.allocate(0, 0, 100);
      error = fresh.error;
      if (fresh.item != nullptr) held.push_back(fresh.item);
    });
  }
  EXPECT_EQ(error, AllocError::kOutOfMemory);
  StoreStats s = store.stats();
  ASSERT_EQ(s.classes.size(), 1u);
  EXPECT_EQ(held.size(), s.classes[0].total_chunks);
  EXPECT_EQ(s.classes[0].outofmemory, 1u);
  EXPECT_EQ(s.classes[0].free_chunks, 0u);
  for (size_t i = 0; i < held.size(); ++i) {
    store.access(test::numbered("k", i), [&](Access& a) { a.release(held[i]); });
  }
  EXPECT_EQ(store.stats().classes[0].used_chunks, 0u);
  EXPECT_EQ(setItem(store, "k", std::string(100, 'v')), AllocError::kNone);
}

// memcached 1.6.18 `-m 64` holds 349504 such items at its first eviction
// (64 pages x 5461 chunks of 192 bytes: 48-byte header + 8 cas + key + 1 +
// value + 2 = 179 bytes), measured over TCP. The requirement is >= 90% of it.
TEST(StoreCapacity, HoldsAtLeastNinetyPercentOfMemcachedAt64MB) {
  constexpr uint64_t kMemcachedItems = 349504;
  ManualClock clock;
  Store store(StoreConfig{}, clock);   // 64 MB
  const std::string value(100, 'v');
  char key[32];
  auto keyAt = [&](uint64_t i) {
    std::snprintf(key, sizeof key, "k%019llu", static_cast<unsigned long long>(i));   // 20 bytes
    return std::string_view(key, 20);
  };
  uint64_t held = 0;
  std::string first(keyAt(0));
  for (uint64_t i = 0; i < 2 * kMemcachedItems; ++i) {
    ASSERT_EQ(setItem(store, keyAt(i), value), AllocError::kNone);
    if (!contains(store, first)) break;   // the first eviction takes the oldest
    held = i + 1;
  }
  StoreStats s = store.stats();
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.curr_items, held);
  ASSERT_EQ(s.classes.size(), 1u);
  EXPECT_EQ(held, s.classes[0].total_chunks);   // no chunk lost
  std::printf("store holds %llu items of 20+100 bytes in 64 MB (chunk %u); memcached holds %llu\n",
              static_cast<unsigned long long>(held), s.classes[0].chunk_size,
              static_cast<unsigned long long>(kMemcachedItems));
  EXPECT_GE(held * 10, kMemcachedItems * 9);
}

}  // namespace
}  // namespace unbuckle::store
