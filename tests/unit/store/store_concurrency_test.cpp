// Several threads on overlapping keys, with evictions, expiry, a flush,
// stats readers and the crawler running; then the store's books must balance.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "store_access.h"

namespace unbuckle::store {
namespace {

constexpr int kThreads = 4;
constexpr int kOpsPerThread = 40000;
constexpr int kKeys = 3000;
constexpr size_t kValueLengths[] = {10, 300, 1200};

std::string keyName(int i) { return test::numbered("key:", i); }

// A value that says which key it belongs to, so a torn or misplaced write
// shows: "<key>|" then a fill byte derived from the key.
std::string valueFor(const std::string& key, size_t length) {
  std::string v = key + "|";
  v.resize(std::max(length, v.size()), static_cast<char>('a' + key.size() % 26));
  v.resize(length);
  return v;
}

// The flags of every item are its value length.
bool wellFormed(const std::string& key, std::string_view reply) {
  std::string prefix = "VALUE " + key + " ";
  if (reply.substr(0, prefix.size()) != prefix) return false;
  size_t flags_end = reply.find(' ', prefix.size());
  if (flags_end == std::string_view::npos) return false;
  auto length = static_cast<uint32_t>(std::stoul(std::string(reply.substr(prefix.size(), flags_end - prefix.size()))));
  return reply == test::expectedReply(key, length, valueFor(key, length));
}

TEST(StoreConcurrency, MixedSetGetDeleteOnOverlappingKeys) {
  ManualClock clock;
  StoreConfig config;
  config.memory_limit = 4u << 20;   // small: evictions all the time
  Store store(config, clock);

  std::atomic<bool> done{false};
  std::atomic<uint64_t> bad_replies{0};
  std::atomic<uint64_t> stored{0};
  std::vector<std::vector<uint64_t>> cas_seen(kThreads);

  auto worker = [&](int id) {
    std::mt19937 rng(1234 + id);
    for (int op = 0; op < kOpsPerThread; ++op) {
      std::string key = keyName(static_cast<int>(rng() % kKeys));
      unsigned kind = rng() % 10;
      if (kind < 4) {
        size_t length = kValueLengths[rng() % 3];
        std::string value = valueFor(key, length);
        RelTime exptime = rng() % 4 == 0 ? clock.now() + 1 + rng() % 3 : 0;
        store.access(key, [&](Access& a) {
          Allocation fresh = a.allocate(static_cast<uint32_t>(length), exptime, static_cast<uint32_t>(length));
          if (fresh.item == nullptr) return;
          std::memcpy(fresh.item->mutableValue(), value.data(), value.size());
          a.link(fresh.item);
          cas_seen[id].push_back(fresh.item->cas());
          stored.fetch_add(1, std::memory_order_relaxed);
        });
      } else if (kind < 9) {
        store.access(key, [&](Access& a) {
          Item* item = a.item();
          if (item == nullptr) return;
          a.bump();
          if (!wellFormed(key, item->reply())) bad_replies.fetch_add(1);
        });
      } else {
        test::deleteItem(store, key);
      }
    }
  };
  std::thread crawler([&] {
    while (!done.load()) store.crawl(100);
  });
  std::vector<std::thread> workers;
  for (int id = 0; id < kThreads; ++id) workers.emplace_back(worker, id);
  std::thread ticker([&] {   // time passes, stats are read, one flush_all
    for (int tick = 0; !done.load(); ++tick) {
      clock.advance(1);
      if (tick == 20) store.flushAll(clock.now());
      EXPECT_LE(store.stats().total_malloced, config.memory_limit);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  for (std::thread& t : workers) t.join();
  done = true;
  crawler.join();
  ticker.join();

  EXPECT_EQ(bad_replies.load(), 0u);
  EXPECT_GT(stored.load(), 0u);

  // Every cas handed out is unique.
  std::set<uint64_t> all_cas;
  size_t links = 0;
  for (const auto& v : cas_seen) {
    links += v.size();
    all_cas.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all_cas.size(), links);

  // The books: what can be found is what the counters say is there.
  clock.advance(10);   // let every exptime pass: lookups reclaim, counters follow
  store.crawl(1000000);   // twice: the first may start mid-way through a class
  store.crawl(1000000);
  StoreStats before = store.stats();
  uint64_t found = 0;
  uint64_t bytes = 0;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = keyName(i);
    store.access(key, [&](Access& a) {
      if (Item* item = a.item()) {
        ++found;
        bytes += item->totalSize();
        EXPECT_TRUE(wellFormed(key, item->reply())) << key;
      }
    });
  }
  StoreStats s = store.stats();
  EXPECT_EQ(s.curr_items, found);
  EXPECT_EQ(before.curr_items, found);   // the crawler left nothing dead behind
  EXPECT_EQ(s.bytes, bytes);
  uint64_t used = 0;
  uint64_t requested = 0;
  uint64_t pages = 0;
  for (const SlabClassStats& k : s.classes) {
    used += k.used_chunks;
    requested += k.mem_requested;
    pages += k.total_pages;
    EXPECT_EQ(k.used_chunks, k.items);   // nothing allocated and left unlinked
  }
  EXPECT_EQ(used, found);
  EXPECT_EQ(requested, bytes);
  EXPECT_EQ(pages * (1u << 20), s.total_malloced);
  EXPECT_LE(s.total_malloced, config.memory_limit);
  EXPECT_GT(s.evictions + s.reclaimed + s.crawler_reclaimed, 0u);
}

// Threads whose item sizes change together, in phases, so pages keep moving
// between classes while others read and write them.
TEST(StoreConcurrency, PagesMoveBetweenClassesUnderLoad) {
  constexpr int kOps = 30000;
  constexpr size_t kPhaseLengths[] = {50, 4000, 400, 100000, 20};
  constexpr int kPhases = static_cast<int>(std::size(kPhaseLengths));
  ManualClock clock;
  StoreConfig config;
  config.memory_limit = 4u << 20;
  Store store(config, clock);
  std::atomic<uint64_t> failed_sets{0};
  std::atomic<uint64_t> bad_replies{0};

  auto worker = [&](int id) {
    std::mt19937 rng(99 + id);
    for (int op = 0; op < kOps; ++op) {
      std::string key = keyName(static_cast<int>(rng() % kKeys));
      if (rng() % 2 == 0) {
        size_t length = kPhaseLengths[op * kPhases / kOps];
        std::string value = valueFor(key, length);
        store.access(key, [&](Access& a) {
          Allocation fresh = a.allocate(static_cast<uint32_t>(length), 0, static_cast<uint32_t>(length));
          if (fresh.item == nullptr) {
            failed_sets.fetch_add(1);
            return;
          }
          std::memcpy(fresh.item->mutableValue(), value.data(), value.size());
          a.link(fresh.item);
        });
      } else {
        store.access(key, [&](Access& a) {
          if (Item* item = a.item(); item != nullptr && !wellFormed(key, item->reply())) bad_replies.fetch_add(1);
        });
      }
    }
  };
  std::vector<std::thread> workers;
  for (int id = 0; id < kThreads; ++id) workers.emplace_back(worker, id);
  for (std::thread& t : workers) t.join();

  EXPECT_EQ(bad_replies.load(), 0u);
  StoreStats s = store.stats();
  std::printf("%llu pages moved, %llu of %d sets failed\n", static_cast<unsigned long long>(s.slabs_moved),
              static_cast<unsigned long long>(failed_sets.load()), kThreads * kOps / 2);
  EXPECT_GT(s.slabs_moved, 0u);
  uint64_t pages = 0;
  for (const SlabClassStats& k : s.classes) {
    pages += k.total_pages;
    EXPECT_EQ(k.used_chunks, k.items);
  }
  EXPECT_EQ(pages * (1u << 20), s.total_malloced);
  EXPECT_EQ(failed_sets.load(), 0u);
}

}  // namespace
}  // namespace unbuckle::store
