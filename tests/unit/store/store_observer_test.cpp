// Store::setObserver(): which change, read and flush reaches the observer,
// with the key's item as it is after the change, and hits served elsewhere
// folded into items as GET hits.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "store/store.h"
#include "store_access.h"

namespace unbuckle::store {
namespace {

using test::contains;
using test::getReply;
using test::numbered;
using test::setItem;

constexpr size_t kMiB = size_t{1} << 20;

// Records every call; hands out the hits a test puts in `outside`.
class RecordingObserver final : public ItemObserver {
 public:
  void itemLinked(const Item& item, const ItemLiveness& liveness) override {
    record("linked", item);
    EXPECT_TRUE(liveness.live(item));
  }
  void itemModified(const Item& item, const ItemLiveness&) override { record("modified", item); }
  void itemRemoved(std::string_view key) override { events.push_back("removed " + std::string(key)); }
  OutsideHits takeHits(const Item& item) override {
    auto it = outside.find(std::string(item.key()));
    if (it == outside.end()) return {};
    OutsideHits hits = it->second;
    outside.erase(it);
    return hits;
  }
  void itemFetched(const Item& item, const ItemLiveness&) override { record("fetched", item); }
  void flushed(RelTime pending) override { events.push_back("flushed " + std::to_string(pending)); }

  std::vector<std::string> take() { return std::exchange(events, {}); }

  std::vector<std::string> events;
  std::vector<std::string> replies;   // the item's reply at each linked/modified/fetched
  std::map<std::string, OutsideHits> outside;

 private:
  void record(const char* what, const Item& item) {
    events.push_back(std::string(what) + " " + std::string(item.key()));
    replies.emplace_back(item.reply());
  }
};

StoreConfig withMemory(size_t bytes, bool use_cas = true) {
  StoreConfig c;
  c.memory_limit = bytes;
  c.use_cas = use_cas;
  c.automove = 0;
  return c;
}

struct Observed : ::testing::Test {
  Observed() { store.setObserver(&observer); }
  ~Observed() override { store.setObserver(nullptr); }
  ManualClock clock;
  Store store{withMemory(2 * kMiB), clock};
  RecordingObserver observer;
};

using Events = std::vector<std::string>;

TEST_F(Observed, StoresAndDeletes) {
  ASSERT_EQ(setItem(store, "k", "one"), AllocError::kNone);
  EXPECT_EQ(observer.take(), Events{"linked k"});
  EXPECT_EQ(observer.replies.back(), "VALUE k 0 3\r\none\r\nEND\r\n");
  ASSERT_EQ(setItem(store, "k", "two"), AllocError::kNone);
  EXPECT_EQ(observer.take(), (Events{"removed k", "linked k"}));
  EXPECT_EQ(observer.replies.back(), "VALUE k 0 3\r\ntwo\r\nEND\r\n");
  ASSERT_TRUE(test::deleteItem(store, "k"));
  EXPECT_EQ(observer.take(), Events{"removed k"});
  EXPECT_FALSE(test::deleteItem(store, "k"));
  EXPECT_EQ(observer.take(), Events{});
}

TEST_F(Observed, InPlaceChanges) {
  ASSERT_EQ(setItem(store, "n", "10"), AllocError::kNone);
  observer.take();
  store.access("n", [](Access& a) { a.setExptime(a.now() + 10); });
  EXPECT_EQ(observer.take(), Events{"modified n"});
  store.access("n", [](Access& a) {
    std::memcpy(a.item()->mutableValue(), "11", 2);
    a.setCas(0);
  });
  EXPECT_EQ(observer.take(), Events{"modified n"});
  EXPECT_EQ(observer.replies.back(), "VALUE n 0 2\r\n11\r\nEND\r\n");
}

TEST(ObservedWithoutCas, InPlaceChangesStillReachTheObserver) {
  ManualClock clock;
  Store store(withMemory(2 * kMiB, false), clock);
  RecordingObserver observer;
  store.setObserver(&observer);
  ASSERT_EQ(setItem(store, "n", "10"), AllocError::kNone);
  observer.take();
  store.access("n", [](Access& a) { a.setCas(0); });
  EXPECT_EQ(observer.take(), Events{"modified n"});
  store.setObserver(nullptr);
}

TEST_F(Observed, GetHitsAndMisses) {
  ASSERT_EQ(setItem(store, "k", "v"), AllocError::kNone);
  observer.take();
  EXPECT_TRUE(getReply(store, "k"));
  EXPECT_EQ(observer.take(), Events{"fetched k"});
  EXPECT_TRUE(contains(store, "k"));   // a read without a GET hit
  EXPECT_EQ(observer.take(), Events{});
  EXPECT_FALSE(getReply(store, "absent"));
  EXPECT_EQ(observer.take(), Events{});
}

TEST_F(Observed, ExpiryFlushAndReclaim) {
  const RelTime start = clock.now();
  ASSERT_EQ(setItem(store, "lazy", "v", 0, start + 5), AllocError::kNone);
  ASSERT_EQ(setItem(store, "crawled", "v", 0, start + 5), AllocError::kNone);
  observer.take();
  clock.set(start + 6);
  EXPECT_FALSE(contains(store, "lazy"));
  EXPECT_EQ(observer.take(), Events{"removed lazy"});
  EXPECT_EQ(store.crawl(100), 1u);
  EXPECT_EQ(observer.take(), Events{"removed crawled"});
  ASSERT_EQ(setItem(store, "tail", "v", 0, start + 7), AllocError::kNone);
  observer.take();
  clock.set(start + 8);
  EXPECT_EQ(store.reclaimTails(100), 1u);
  EXPECT_EQ(observer.take(), Events{"removed tail"});

  store.flushAll(clock.now() + 10);
  EXPECT_EQ(observer.take(), Events{"flushed " + std::to_string(clock.now() + 10)});
  store.flushAll(clock.now() - 1);
  EXPECT_EQ(observer.take(), Events{"flushed 0"});
}

TEST_F(Observed, EvictionsAndPageMoves) {
  const std::string value(900, 'v');
  int i = 0;
  while (store.stats().evictions == 0) ASSERT_EQ(setItem(store, numbered("key", i++), value), AllocError::kNone);
  Events events = observer.take();
  EXPECT_EQ(events.size(), static_cast<size_t>(i) + 1);
  EXPECT_EQ(events.end()[-2], "removed key0") << "the evicted item, before its replacement is linked";
  EXPECT_EQ(events.back(), "linked " + numbered("key", i - 1));

  const int cls = static_cast<int>(store.stats().classes[0].id);
  ASSERT_EQ(store.reassign(cls, 0), Reassign::kOk);
  const uint64_t evicted = store.stats().slab_reassign_evictions_nomem;
  EXPECT_GT(evicted, 0u);
  EXPECT_EQ(observer.take().size(), evicted);
}

TEST_F(Observed, HitsServedElsewhereAreGetHits) {
  const RelTime start = clock.now();
  ASSERT_EQ(setItem(store, "k", "v"), AllocError::kNone);
  clock.set(start + 30);
  observer.outside["k"] = {2, start + 30};
  auto seen = [&] {
    return store.access("k", [](Access& a) { return std::pair(a.item()->fetched(), a.item()->lastAccess()); });
  };
  // Within memcached's 60 s update interval: fetched, not relinked.
  EXPECT_EQ(seen(), std::pair(true, start));
  clock.set(start + 100);
  observer.outside["k"] = {1, start + 99};
  EXPECT_EQ(seen(), std::pair(true, start + 99));
  EXPECT_TRUE(observer.outside.empty());
}

TEST(ObservedEviction, AKeyServedElsewhereIsNotEvictedAsCold) {
  ManualClock clock;
  Store store(withMemory(kMiB), clock);
  RecordingObserver observer;
  store.setObserver(&observer);
  const std::string value(900, 'v');
  ASSERT_EQ(setItem(store, "hot", value), AllocError::kNone);
  for (int i = 0; store.stats().classes[0].free_chunks > 0; ++i) {
    ASSERT_EQ(setItem(store, numbered("key", i), value), AllocError::kNone);
  }
  clock.advance(100);
  observer.outside["hot"] = {5, clock.now()};
  for (int i = 0; i < 10; ++i) ASSERT_EQ(setItem(store, numbered("new", i), value), AllocError::kNone);
  EXPECT_GE(store.stats().evictions, 10u);
  EXPECT_TRUE(contains(store, "hot"));
  EXPECT_FALSE(contains(store, "key0"));
  store.setObserver(nullptr);
}

}  // namespace
}  // namespace unbuckle::store
