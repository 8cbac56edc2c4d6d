// Clocks, expiry, touch, flush_all (immediate and delayed) and the crawler.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <string>
#include <thread>

#include "store/store.h"
#include "store_access.h"

namespace unbuckle::store {
namespace {

using test::contains;
using test::getReply;
using test::setItem;

Miss missOf(Store& store, std::string_view key) {
  return store.access(key, [](Access& a) {
    EXPECT_EQ(a.item(), nullptr);
    return a.miss();
  });
}

TEST(SystemClock, StartsAtTwoAndKnowsTheWallTimeOfZero) {
  SystemClock clock;
  RelTime now = clock.now();
  EXPECT_GE(now, 2u);
  EXPECT_LE(now, 3u);
  EXPECT_NEAR(static_cast<double>(clock.processStarted()), static_cast<double>(time(nullptr) - now), 1.0);
}

// A unix time N seconds ahead is N seconds ahead of now(), whatever the
// phase between the monotonic and the wall second: sampled over a whole
// second (a start fixed at construction was one second short for part of it).
TEST(SystemClock, UnixTimeAheadIsThatFarAheadAtEveryPhase) {
  SystemClock clock;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1100);
  int samples = 0;
  while (std::chrono::steady_clock::now() < until) {
    const time_t wall = time(nullptr);
    const RelTime now = clock.now();
    const int64_t started = clock.processStarted();
    if (time(nullptr) != wall || clock.now() != now) continue;   // a tick in between
    ++samples;
    ASSERT_EQ(wall + 2 - started, int64_t{now} + 2) << "after " << samples << " samples";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GT(samples, 50);
}

TEST(StoreExpiry, ItemExpiresAtItsExptime) {
  ManualClock clock;   // now = 2
  Store store(StoreConfig{}, clock);
  ASSERT_EQ(setItem(store, "k", "v", 0, 12), AllocError::kNone);
  clock.set(11);
  EXPECT_TRUE(getReply(store, "k").has_value());
  clock.set(12);
  EXPECT_EQ(missOf(store, "k"), Miss::kExpired);
  EXPECT_EQ(store.stats().curr_items, 0u);   // unlinked on the way
  EXPECT_EQ(missOf(store, "k"), Miss::kAbsent);
}

TEST(StoreExpiry, TouchMovesTheExptime) {
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  ASSERT_EQ(setItem(store, "k", "v", 0, 12), AllocError::kNone);
  clock.set(11);
  store.access("k", [](Access& a) {
    ASSERT_NE(a.item(), nullptr);
    a.setExptime(20);
    EXPECT_EQ(a.item()->exptime(), 20u);
  });
  clock.set(19);
  EXPECT_TRUE(contains(store, "k"));
  clock.set(20);
  EXPECT_FALSE(contains(store, "k"));
  ASSERT_EQ(setItem(store, "forever", "v", 0, 0), AllocError::kNone);
  clock.set(100000);
  EXPECT_TRUE(contains(store, "forever"));
}

TEST(StoreFlush, ImmediateFlushDropsEverythingLinkedBefore) {
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  ASSERT_EQ(setItem(store, "a", "1"), AllocError::kNone);
  clock.set(5);
  ASSERT_EQ(setItem(store, "b", "2"), AllocError::kNone);
  store.flushAll(clock.now() - 1);   // what the engine passes for an immediate flush_all
  // Set in the same second as the flush, after it: survives (the cas mark).
  // (In another size class, so that its allocation does not reclaim "a" and "b".)
  ASSERT_EQ(setItem(store, "c", std::string(500, '3')), AllocError::kNone);
  EXPECT_EQ(missOf(store, "a"), Miss::kFlushed);
  EXPECT_EQ(missOf(store, "b"), Miss::kFlushed);
  EXPECT_TRUE(contains(store, "c"));
  clock.set(6);
  EXPECT_TRUE(contains(store, "c"));
  ASSERT_EQ(setItem(store, "b", "4"), AllocError::kNone);
  EXPECT_EQ(getReply(store, "b"), "VALUE b 0 1\r\n4\r\nEND\r\n");
}

TEST(StoreFlush, FlushWithAnOldTimeIsImmediateToo) {
  ManualClock clock;
  clock.set(50);
  Store store(StoreConfig{}, clock);
  ASSERT_EQ(setItem(store, "b", "1"), AllocError::kNone);
  store.flushAll(49);
  EXPECT_FALSE(contains(store, "b"));
}

// memcached 1.6.18: an immediate flush uses up one cas unique (oldest_cas),
// a delayed one does not; 0 (a flush time before the start) flushes nothing
// and still uses one up.
TEST(StoreFlush, AnImmediateFlushUsesUpOneCas) {
  ManualClock clock;
  clock.set(50);
  Store store(StoreConfig{}, clock);
  ASSERT_EQ(setItem(store, "a", "1"), AllocError::kNone);
  EXPECT_EQ(test::casOf(store, "a"), 1u);
  store.flushAll(49);
  ASSERT_EQ(setItem(store, "a", "1"), AllocError::kNone);
  EXPECT_EQ(test::casOf(store, "a"), 3u);
  store.flushAll(60);
  ASSERT_EQ(setItem(store, "a", "1"), AllocError::kNone);
  EXPECT_EQ(test::casOf(store, "a"), 4u);
  store.flushAll(0);
  EXPECT_TRUE(contains(store, "a"));
  ASSERT_EQ(setItem(store, "b", "1"), AllocError::kNone);
  EXPECT_EQ(test::casOf(store, "b"), 6u);
  store.flushAll(49, false);   // without cas: no unique used up
  clock.set(51);
  ASSERT_EQ(setItem(store, "b", "1"), AllocError::kNone);
  EXPECT_EQ(test::casOf(store, "b"), 7u);
}

// memcached -C: items carry cas 0, and a flush takes the sets of its own
// second too (its time mark alone decides).
TEST(StoreFlush, WithoutCas) {
  ManualClock clock;
  clock.set(50);
  StoreConfig config;
  config.use_cas = false;
  Store store(config, clock);
  ASSERT_EQ(setItem(store, "a", "1"), AllocError::kNone);
  EXPECT_EQ(test::casOf(store, "a"), 0u);
  store.flushAll(50, false);
  ASSERT_EQ(setItem(store, "b", "1"), AllocError::kNone);
  EXPECT_FALSE(contains(store, "a"));
  EXPECT_FALSE(contains(store, "b"));
  clock.set(51);
  ASSERT_EQ(setItem(store, "c", "1"), AllocError::kNone);
  EXPECT_TRUE(contains(store, "c"));
  // memcached's size rule without the 8-byte cas: 1048524 is the largest value.
  EXPECT_TRUE(store.fits(1, 1048524));
  EXPECT_FALSE(store.fits(1, 1048525));
  EXPECT_FALSE(Store(StoreConfig{}, clock).fits(1, 1048517));
}

TEST(StoreFlush, DelayedFlush) {
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  ASSERT_EQ(setItem(store, "a", "1"), AllocError::kNone);
  store.flushAll(12);
  clock.set(11);
  EXPECT_TRUE(contains(store, "a"));
  ASSERT_EQ(setItem(store, "b", "2"), AllocError::kNone);
  clock.set(12);
  EXPECT_EQ(missOf(store, "a"), Miss::kFlushed);
  EXPECT_EQ(missOf(store, "b"), Miss::kFlushed);
  clock.set(13);
  ASSERT_EQ(setItem(store, "c", "3"), AllocError::kNone);
  EXPECT_TRUE(contains(store, "c"));
}

TEST(StoreFlush, ImmediateFlushCancelsAPendingOne) {
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  store.flushAll(20);
  clock.set(5);
  store.flushAll(4);
  ASSERT_EQ(setItem(store, "d", "1"), AllocError::kNone);
  clock.set(30);
  EXPECT_TRUE(contains(store, "d"));
}

TEST(StoreFlush, ADueFlushStaysInForceWhenANewOneIsScheduled) {
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  clock.set(3);
  ASSERT_EQ(setItem(store, "old", "1"), AllocError::kNone);
  store.flushAll(5);
  clock.set(6);
  // In another size class, so that its allocation does not reclaim "old".
  ASSERT_EQ(setItem(store, "new", std::string(500, '1')), AllocError::kNone);
  store.flushAll(100);   // "old" was never looked at since the first flush fell due
  EXPECT_EQ(missOf(store, "old"), Miss::kFlushed);
  EXPECT_TRUE(contains(store, "new"));
}

TEST(StoreCrawler, ReclaimsExpiredAndFlushedItems) {
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(setItem(store, test::numbered("exp", i), "v", 0, 7), AllocError::kNone);
    ASSERT_EQ(setItem(store, test::numbered("keep", i), "v"), AllocError::kNone);
  }
  ASSERT_EQ(setItem(store, "big", std::string(5000, 'b'), 0, 7), AllocError::kNone);
  clock.set(10);
  EXPECT_EQ(store.crawl(1000), 101u);
  StoreStats s = store.stats();
  EXPECT_EQ(s.curr_items, 100u);
  EXPECT_EQ(s.crawler_reclaimed, 101u);
  EXPECT_EQ(s.expired_unfetched, 101u);
  EXPECT_EQ(s.reclaimed, 0u);
  EXPECT_EQ(s.crawler_items_checked, 201u);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(contains(store, test::numbered("keep", i)));

  ASSERT_TRUE(getReply(store, "keep0").has_value());   // fetched: not "unfetched" below
  store.flushAll(clock.now());
  EXPECT_EQ(store.crawl(1000), 100u);
  s = store.stats();
  EXPECT_EQ(s.curr_items, 0u);
  // memcached's crawler counts expired_unfetched for expired items only.
  EXPECT_EQ(s.expired_unfetched, 101u);
}

TEST(StoreCrawler, BudgetBoundsTheWorkAndTheWalkResumes) {
  ManualClock clock;
  Store store(StoreConfig{}, clock);
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(setItem(store, test::numbered("k", i), "v", 0, i % 3 == 0 ? 5 : 0), AllocError::kNone);
  }
  clock.set(6);
  size_t reclaimed = 0;
  for (int call = 0; call < 6; ++call) {
    uint64_t checked_before = store.stats().crawler_items_checked;
    reclaimed += store.crawl(50);
    EXPECT_EQ(store.stats().crawler_items_checked - checked_before, 50u);
  }
  EXPECT_EQ(reclaimed, 100u);   // six calls of 50 walked all 300 once
  EXPECT_EQ(store.stats().curr_items, 200u);
}

}  // namespace
}  // namespace unbuckle::store
