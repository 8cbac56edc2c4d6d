// The kernel cache's mirror against a real store: the slots hold exactly the
// daemon's GET reply as bpf_abi.h lays it out, every kind of change keeps
// what XDP would answer equal to what the daemon answers (or a miss), and
// hits XDP served count as daemon GET hits.
#include "kernel_cache/mirror.h"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>

#include "kernel_cache_memory.h"
#include "store/store.h"
#include "store_access.h"

namespace unbuckle::kernel_cache {
namespace {

using store::Access;
using store::AllocError;
using store::ManualClock;
using store::RelTime;
using store::Store;
using store::StoreConfig;
using store::test::contains;
using store::test::getReply;
using store::test::numbered;
using store::test::setItem;
using test::KernelCacheMemory;

constexpr size_t kMiB = size_t{1} << 20;
constexpr uint64_t kSecond = store::Clock::kNsPerSecond;

StoreConfig withMemory(size_t bytes, bool use_cas = true) {
  StoreConfig c;
  c.memory_limit = bytes;
  c.use_cas = use_cas;
  c.automove = 0;
  return c;
}

// A store, the mirror as its observer, and the arrays XDP would read.
struct Rig {
  explicit Rig(StoreConfig config = withMemory(2 * kMiB), uint32_t entries = 1024)
      : kc(entries), store(config, clock), mirror(kc.memory(), clock) {
    store.setObserver(&mirror);
  }
  ~Rig() { store.setObserver(nullptr); }

  // The first and the last CLOCK_MONOTONIC instant of the current second.
  uint64_t firstNs() const { return clock.monotonicNs(clock.now()); }
  uint64_t lastNs() const { return clock.monotonicNs(clock.now() + 1) - 1; }

  // The daemon's GET reply, without an LRU bump.
  std::optional<std::string> daemonReply(std::string_view key) {
    return store.access(key, [](Access& a) -> std::optional<std::string> {
      if (a.item() == nullptr) return std::nullopt;
      return std::string(a.item()->reply());
    });
  }

  // XDP, at any instant of the current second, answers nothing or what the
  // daemon answers. (XDP first: the daemon's own lookup may unlink.)
  ::testing::AssertionResult coherent(std::string_view key) {
    const std::optional<std::string> early = kc.serve(key, firstNs());
    const std::optional<std::string> late = kc.serve(key, lastNs());
    const std::optional<std::string> daemon = daemonReply(key);
    for (const auto& xdp : {early, late}) {
      if (xdp && xdp != daemon) {
        return ::testing::AssertionFailure()
               << "XDP answers " << *xdp << " where the daemon answers " << (daemon ? *daemon : "a miss");
      }
    }
    return ::testing::AssertionSuccess();
  }
  // Coherent, and XDP answers the hit itself.
  ::testing::AssertionResult served(std::string_view key) {
    if (!kc.serve(key, lastNs())) return ::testing::AssertionFailure() << key << " is not answered by XDP";
    return coherent(key);
  }

  ManualClock clock;
  KernelCacheMemory kc;
  Store store;
  Mirror mirror;
};

// bpf_abi.h's reply_sum, computed independently: 16-bit big-endian words
// over the zero-padded reply, carries folded at the end.
uint16_t onesComplementSum(const std::string& bytes) {
  std::string padded = bytes;
  if (padded.size() % 2) padded.push_back('\0');
  uint32_t sum = 0;
  for (size_t i = 0; i < padded.size(); i += 2) {
    sum += static_cast<uint8_t>(padded[i]) * 256u + static_cast<uint8_t>(padded[i + 1]);
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(sum);
}

TEST(Mirror, ASlotHoldsTheItemAsXdpReadsIt) {
  Rig rig;
  const RelTime exptime = rig.clock.now() + 100;
  ASSERT_EQ(setItem(rig.store, "greeting", "hello, world", 42, exptime), AllocError::kNone);
  const unbuckle_kc_slot* slot = rig.kc.slotOf("greeting");
  ASSERT_NE(slot, nullptr);
  const std::string reply = *rig.daemonReply("greeting");
  EXPECT_EQ(reply, "VALUE greeting 42 12\r\nhello, world\r\nEND\r\n");
  EXPECT_EQ(slot->seq % 2, 0u);
  EXPECT_GT(slot->seq, 0u);
  EXPECT_EQ(slot->key_len, 8u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(slot->key), 8), "greeting");
  for (size_t i = 8; i < UNBUCKLE_KC_KEY_ROOM; ++i) ASSERT_EQ(slot->key[i], 0) << i;
  EXPECT_EQ(slot->key_hash, rig.kc.hashOf("greeting"));
  ASSERT_EQ(slot->reply_len, reply.size());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(slot->reply), slot->reply_len), reply);
  for (size_t i = reply.size(); i < (reply.size() + 7) / 8 * 8; ++i) EXPECT_EQ(slot->reply[i], 0) << i;
  EXPECT_EQ(slot->reply_sum, onesComplementSum(reply));
  EXPECT_EQ(slot->cas, store::test::casOf(rig.store, "greeting"));
  EXPECT_EQ(slot->generation, rig.kc.state.generation);
  EXPECT_EQ(slot->expires_ns, rig.clock.monotonicNs(exptime) - kSecond);
  EXPECT_EQ(slot->slab_class, rig.store.access("greeting", [](Access& a) { return a.item()->slabClass(); }));
  const MirrorCounters c = rig.mirror.counters();
  EXPECT_EQ(c.entries, 1u);
  EXPECT_EQ(c.bytes, reply.size());
  EXPECT_EQ(c.admitted, 1u);
}

TEST(Mirror, ReplySumsOfOddAndEvenLengthsAndCarries) {
  Rig rig;
  for (const std::string& value :
       {std::string(), std::string("x"), std::string("xy"), std::string(1300, '\xff'), std::string(777, '\x80')}) {
    ASSERT_EQ(setItem(rig.store, "k", value), AllocError::kNone);
    const unbuckle_kc_slot* slot = rig.kc.slotOf("k");
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(slot->reply_sum, onesComplementSum(*rig.daemonReply("k"))) << value.size();
  }
}

TEST(Mirror, TheLastSecondBeforeExpiryIsAMiss) {
  Rig rig;
  const RelTime start = rig.clock.now();
  ASSERT_EQ(setItem(rig.store, "k", "v", 0, start + 10), AllocError::kNone);
  rig.clock.set(start + 8);
  EXPECT_TRUE(rig.served("k"));
  rig.clock.set(start + 9);
  EXPECT_FALSE(rig.kc.serve("k", rig.firstNs()));
  EXPECT_TRUE(rig.daemonReply("k"));
  rig.clock.set(start + 10);
  EXPECT_TRUE(rig.coherent("k"));
  EXPECT_EQ(rig.kc.slotOf("k"), nullptr) << "the daemon unlinked it: the slot is empty";
}

TEST(Mirror, StoresReplaceTheSlot) {
  Rig rig;
  ASSERT_EQ(setItem(rig.store, "k", "first"), AllocError::kNone);
  EXPECT_TRUE(rig.served("k"));
  ASSERT_EQ(setItem(rig.store, "k", "second", 7), AllocError::kNone);
  EXPECT_TRUE(rig.served("k"));
  EXPECT_EQ(*rig.kc.serve("k", rig.lastNs()), "VALUE k 7 6\r\nsecond\r\nEND\r\n");
  EXPECT_EQ(rig.mirror.counters().entries, 1u);
}

TEST(Mirror, DeleteEmptiesTheSlot) {
  Rig rig;
  ASSERT_EQ(setItem(rig.store, "k", "v"), AllocError::kNone);
  ASSERT_TRUE(store::test::deleteItem(rig.store, "k"));
  EXPECT_EQ(rig.kc.slotOf("k"), nullptr);
  EXPECT_TRUE(rig.coherent("k"));
  EXPECT_EQ(rig.mirror.counters().invalidated, 1u);
  EXPECT_EQ(rig.mirror.counters().entries, 0u);
}

TEST(Mirror, TouchMovesTheSlotsExpiry) {
  Rig rig;
  const RelTime start = rig.clock.now();
  ASSERT_EQ(setItem(rig.store, "k", "v"), AllocError::kNone);
  rig.store.access("k", [&](Access& a) { a.setExptime(start + 5); });
  rig.clock.set(start + 6);
  EXPECT_TRUE(rig.coherent("k"));
  ASSERT_EQ(setItem(rig.store, "j", "v", 0, start + 10), AllocError::kNone);
  rig.store.access("j", [&](Access& a) { a.setExptime(0); });
  rig.clock.set(start + 100);
  EXPECT_TRUE(rig.served("j"));
}

// What the engine does for an incr that fits the value: digits in place,
// then a new cas.
void incrementInPlace(Store& store, std::string_view key, std::string_view digits) {
  store.access(key, [&](Access& a) {
    std::memcpy(a.item()->mutableValue(), digits.data(), digits.size());
    a.setCas(0);
  });
}

TEST(Mirror, InPlaceIncrementRewritesTheSlot) {
  Rig rig;
  ASSERT_EQ(setItem(rig.store, "n", "10"), AllocError::kNone);
  const uint64_t old_cas = rig.kc.slotOf("n")->cas;
  incrementInPlace(rig.store, "n", "11");
  EXPECT_TRUE(rig.served("n"));
  EXPECT_EQ(*rig.kc.serve("n", rig.lastNs()), "VALUE n 0 2\r\n11\r\nEND\r\n");
  EXPECT_NE(rig.kc.slotOf("n")->cas, old_cas);
  EXPECT_EQ(rig.kc.slotOf("n")->cas, store::test::casOf(rig.store, "n"));
}

TEST(Mirror, InPlaceIncrementWithoutCas) {
  Rig rig(withMemory(2 * kMiB, false));
  ASSERT_EQ(setItem(rig.store, "n", "10"), AllocError::kNone);
  incrementInPlace(rig.store, "n", "99");
  EXPECT_TRUE(rig.served("n"));
  EXPECT_EQ(*rig.kc.serve("n", rig.lastNs()), "VALUE n 0 2\r\n99\r\nEND\r\n");
  EXPECT_EQ(rig.kc.slotOf("n")->cas, 0u);
}

TEST(Mirror, SetCasAloneRewritesTheCas) {
  Rig rig;
  ASSERT_EQ(setItem(rig.store, "k", "v"), AllocError::kNone);
  rig.store.access("k", [](Access& a) { a.setCas(12345); });
  EXPECT_EQ(rig.kc.slotOf("k")->cas, 12345u);
}

TEST(Mirror, FlushAllNowIsANewGeneration) {
  Rig rig;
  ASSERT_EQ(setItem(rig.store, "old", "v"), AllocError::kNone);
  const uint32_t generation = rig.kc.state.generation;
  // The engine passes the flush time less one with cas.
  rig.store.flushAll(rig.clock.now() - 1);
  EXPECT_EQ(rig.kc.state.generation, generation + 1);
  EXPECT_FALSE(rig.kc.serve("old", rig.firstNs()));
  EXPECT_TRUE(rig.coherent("old"));
  EXPECT_EQ(rig.mirror.counters().entries, 0u);
  ASSERT_EQ(setItem(rig.store, "new", "v"), AllocError::kNone);
  EXPECT_TRUE(rig.served("new"));
  ASSERT_EQ(setItem(rig.store, "old", "again"), AllocError::kNone);
  EXPECT_TRUE(rig.served("old"));
}

TEST(Mirror, FlushAllNowWithoutCas) {
  Rig rig(withMemory(2 * kMiB, false));
  ASSERT_EQ(setItem(rig.store, "old", "v"), AllocError::kNone);
  rig.clock.advance(1);
  rig.store.flushAll(rig.clock.now(), false);
  EXPECT_TRUE(rig.coherent("old"));
  // Without cas a set in the flush's own second is flushed too.
  ASSERT_EQ(setItem(rig.store, "same-second", "v"), AllocError::kNone);
  EXPECT_TRUE(rig.coherent("same-second"));
  rig.clock.advance(1);
  ASSERT_EQ(setItem(rig.store, "later", "v"), AllocError::kNone);
  EXPECT_TRUE(rig.served("later"));
}

TEST(Mirror, DelayedFlushAllStopsXdpAtItsInstant) {
  Rig rig;
  const RelTime start = rig.clock.now();
  ASSERT_EQ(setItem(rig.store, "before", "v"), AllocError::kNone);
  rig.store.flushAll(start + 10);
  EXPECT_FALSE(rig.kc.serve("before", rig.firstNs())) << "slots written before the flush are dropped";
  EXPECT_TRUE(getReply(rig.store, "before")) << "a daemon GET hit admits it again";
  EXPECT_TRUE(rig.served("before"));
  EXPECT_EQ(rig.kc.slotOf("before")->expires_ns, rig.clock.monotonicNs(start + 10) - kSecond);
  ASSERT_EQ(setItem(rig.store, "during", "v", 0, start + 100), AllocError::kNone);
  EXPECT_EQ(rig.kc.slotOf("during")->expires_ns, rig.clock.monotonicNs(start + 10) - kSecond);
  ASSERT_EQ(setItem(rig.store, "short", "v", 0, start + 5), AllocError::kNone);
  EXPECT_EQ(rig.kc.slotOf("short")->expires_ns, rig.clock.monotonicNs(start + 5) - kSecond);
  for (RelTime t = start + 8; t <= start + 11; ++t) {
    rig.clock.set(t);
    for (const char* key : {"before", "during", "short"}) EXPECT_TRUE(rig.coherent(key)) << key << " at " << t;
  }
  ASSERT_EQ(setItem(rig.store, "after", "v"), AllocError::kNone);
  EXPECT_TRUE(rig.served("after"));
  EXPECT_EQ(rig.kc.slotOf("after")->expires_ns, 0u);
}

TEST(Mirror, ATooBigReplyIsNotAdmitted) {
  Rig rig;
  ASSERT_EQ(setItem(rig.store, "k", "small"), AllocError::kNone);
  ASSERT_EQ(setItem(rig.store, "k", std::string(UNBUCKLE_KC_REPLY_MAX, 'x')), AllocError::kNone);
  EXPECT_EQ(rig.kc.slotOf("k"), nullptr);
  EXPECT_TRUE(rig.coherent("k"));
  EXPECT_TRUE(getReply(rig.store, "k"));
  EXPECT_EQ(rig.kc.slotOf("k"), nullptr);
  EXPECT_EQ(rig.mirror.counters().not_admitted_too_big, 2u);
  // The largest that fits.
  const size_t overhead = std::string("VALUE k 0 1369\r\n\r\nEND\r\n").size();
  ASSERT_EQ(setItem(rig.store, "k", std::string(UNBUCKLE_KC_REPLY_MAX - overhead, 'x')), AllocError::kNone);
  EXPECT_TRUE(rig.served("k"));
  EXPECT_EQ(rig.kc.slotOf("k")->reply_len, UNBUCKLE_KC_REPLY_MAX);
}

const std::string kValue(900, 'v');

TEST(Mirror, EvictionEmptiesTheSlot) {
  Rig rig(withMemory(kMiB), 8192);
  ASSERT_EQ(setItem(rig.store, "first", kValue), AllocError::kNone);
  EXPECT_TRUE(rig.served("first"));
  int i = 0;
  while (rig.store.stats().evictions == 0) ASSERT_EQ(setItem(rig.store, numbered("key", i++), kValue), AllocError::kNone);
  EXPECT_FALSE(contains(rig.store, "first"));
  EXPECT_EQ(rig.kc.slotOf("first"), nullptr);
  EXPECT_TRUE(rig.coherent("first"));
  for (int j = 0; j < i; ++j) ASSERT_TRUE(rig.coherent(numbered("key", j))) << j;
}

// Fills `pages` pages of one class with 900-byte values; returns the keys.
std::vector<std::string> fillPages(Rig& rig, uint64_t pages) {
  std::vector<std::string> keys;
  for (int i = 0;; ++i) {
    const std::string key = numbered("key", i);
    const store::StoreStats s = rig.store.stats();
    if (!s.classes.empty() && s.classes[0].total_pages == pages && s.classes[0].free_chunks == 0) break;
    EXPECT_EQ(setItem(rig.store, key, kValue), AllocError::kNone);
    keys.push_back(key);
  }
  return keys;
}

TEST(Mirror, PageMovesKeepSlotsCoherent) {
  Rig rig(withMemory(2 * kMiB), 8192);
  const std::vector<std::string> keys = fillPages(rig, 2);
  ASSERT_EQ(rig.store.stats().evictions, 0u);
  for (size_t i = 0; i < keys.size(); i += 2) ASSERT_TRUE(store::test::deleteItem(rig.store, keys[i]));
  // (A few keys lost their slot to others of a full set.)
  std::vector<bool> mirrored(keys.size());
  for (size_t i = 1; i < keys.size(); i += 2) mirrored[i] = rig.kc.serve(keys[i], rig.lastNs()).has_value();
  const int cls = static_cast<int>(rig.store.stats().classes[0].id);
  ASSERT_EQ(rig.store.reassign(cls, 0), store::Reassign::kOk);
  EXPECT_GT(rig.store.stats().slab_reassign_rescues, 0u);
  for (size_t i = 1; i < keys.size(); i += 2) {
    if (mirrored[i] && contains(rig.store, keys[i])) {
      ASSERT_TRUE(rig.served(keys[i])) << keys[i];
    }
    ASSERT_TRUE(rig.coherent(keys[i])) << keys[i];
  }
  // A move with no free chunk to rescue into evicts.
  const std::vector<std::string> more = fillPages(rig, 2);
  ASSERT_EQ(rig.store.reassign(cls, 0), store::Reassign::kOk);
  EXPECT_GT(rig.store.stats().slab_reassign_evictions_nomem, 0u);
  size_t gone = 0;
  for (const std::string& key : more) {
    gone += rig.kc.slotOf(key) == nullptr;
    ASSERT_TRUE(rig.coherent(key)) << key;
  }
  EXPECT_GT(gone, 0u);
}

TEST(Mirror, CrawlerAndTailReclaimEmptyTheSlots) {
  Rig rig;
  const RelTime start = rig.clock.now();
  ASSERT_EQ(setItem(rig.store, "a", "v", 0, start + 5), AllocError::kNone);
  ASSERT_EQ(setItem(rig.store, "b", "v", 0, start + 5), AllocError::kNone);
  rig.clock.set(start + 6);
  EXPECT_EQ(rig.store.crawl(100), 2u);
  EXPECT_EQ(rig.kc.slotOf("a"), nullptr);
  EXPECT_EQ(rig.kc.slotOf("b"), nullptr);
  ASSERT_EQ(setItem(rig.store, "c", "v", 0, start + 10), AllocError::kNone);
  rig.clock.set(start + 11);
  EXPECT_EQ(rig.store.reclaimTails(100), 1u);
  EXPECT_EQ(rig.kc.slotOf("c"), nullptr);
  EXPECT_EQ(rig.mirror.counters().invalidated, 3u);
}

// Keys that all fall in one set of the kernel cache.
std::vector<std::string> keysOfOneSet(const KernelCacheMemory& kc, size_t n) {
  std::vector<std::string> keys;
  const uint32_t set = kc.setOf("k0");
  for (int i = 0; keys.size() < n; ++i) {
    if (kc.setOf(numbered("k", i)) == set) keys.push_back(numbered("k", i));
  }
  return keys;
}

TEST(Mirror, TheVictimIsTheWayWithTheOldestActivity) {
  Rig rig;
  const std::vector<std::string> k = keysOfOneSet(rig.kc, 5);
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(setItem(rig.store, k[i], "v"), AllocError::kNone);
    rig.clock.advance(1);
  }
  rig.kc.hit(k[0], rig.firstNs());   // XDP serves k0: now the most recent
  ASSERT_TRUE(getReply(rig.store, k[2]));   // a daemon hit keeps k2 too
  rig.clock.advance(1);
  ASSERT_EQ(setItem(rig.store, k[4], "v"), AllocError::kNone);
  EXPECT_EQ(rig.kc.slotOf(k[1]), nullptr) << "k1 was the least recently read";
  for (int i : {0, 2, 3, 4}) EXPECT_TRUE(rig.served(k[i])) << i;
  // A daemon GET hit admits k1 again, in place of the least recent (k3).
  ASSERT_TRUE(getReply(rig.store, k[1]));
  EXPECT_TRUE(rig.served(k[1]));
  EXPECT_EQ(rig.kc.slotOf(k[3]), nullptr);
  EXPECT_EQ(rig.mirror.counters().admitted, 6u);
}

TEST(Mirror, XdpHitsCountAsDaemonHitsWhenTheItemIsRead) {
  Rig rig;
  ASSERT_EQ(setItem(rig.store, "k", "v"), AllocError::kNone);
  const uint8_t cls = rig.kc.slotOf("k")->slab_class;
  rig.clock.advance(100);
  rig.kc.hit("k", rig.firstNs(), 3);
  const auto [fetched, last_access] = rig.store.access("k", [](Access& a) {
    return std::pair(a.item()->fetched(), a.item()->lastAccess());
  });
  EXPECT_TRUE(fetched);
  EXPECT_EQ(last_access, rig.clock.now());
  EXPECT_EQ(rig.mirror.classHits(cls), 3u);
  EXPECT_EQ(rig.kc.hits[static_cast<size_t>(rig.kc.indexOf("k"))].hits, 0u);
}

TEST(Mirror, XdpHitsOfTemporaryItemsCountAsTempHits) {
  Rig rig;
  rig.store.setTemporaryLru(true, 61);
  ASSERT_EQ(setItem(rig.store, "temp", "v", 0, rig.clock.now() + 30), AllocError::kNone);
  ASSERT_EQ(setItem(rig.store, "kept", "v"), AllocError::kNone);
  const uint8_t cls = rig.kc.slotOf("temp")->slab_class;
  ASSERT_EQ(rig.kc.slotOf("kept")->slab_class, cls);
  EXPECT_EQ(rig.kc.slotOf("temp")->item_flags, UNBUCKLE_KC_ITEM_TEMPORARY);
  EXPECT_EQ(rig.kc.slotOf("kept")->item_flags, 0);
  rig.kc.hit("temp", rig.firstNs(), 2);
  rig.kc.hit("kept", rig.firstNs(), 5);
  rig.mirror.sweepHits(rig.store);
  EXPECT_EQ(rig.mirror.classHits(cls), 7u);
  EXPECT_EQ(rig.mirror.classTempHits(cls), 2u);
}

TEST(Mirror, TheSweepFoldsHitsOfItemsTheDaemonDoesNotRead) {
  Rig rig;
  ASSERT_EQ(setItem(rig.store, "k", "v"), AllocError::kNone);
  ASSERT_EQ(setItem(rig.store, "gone", "v"), AllocError::kNone);
  const uint8_t cls = rig.kc.slotOf("k")->slab_class;
  rig.kc.hit("gone", rig.firstNs(), 1);
  const int gone = rig.kc.indexOf("gone");
  ASSERT_TRUE(store::test::deleteItem(rig.store, "gone"));
  rig.kc.hits[static_cast<size_t>(gone)].hits += 1;   // served just as it was emptied
  rig.clock.advance(100);
  rig.kc.hit("k", rig.firstNs(), 2);
  rig.mirror.sweepHits(rig.store);
  bool seen = false;
  rig.store.forEachItem([&](const Store::ItemSnapshot& s) {
    if (s.key != "k") return;
    seen = true;
    EXPECT_TRUE(s.fetched);
    EXPECT_EQ(s.last_access, rig.clock.now());
  });
  EXPECT_TRUE(seen);
  EXPECT_EQ(rig.mirror.classHits(cls), 4u);
  for (const unbuckle_kc_hit& h : rig.kc.hits) {
    EXPECT_EQ(h.hits, 0u);
  }
}

// One page full of 900-byte items, "hot" the oldest; XDP serves "hot" only.
struct HotKey : ::testing::Test {
  HotKey() {
    EXPECT_EQ(setItem(rig.store, "hot", kValue), AllocError::kNone);
    for (int i = 0; rig.store.stats().classes[0].free_chunks > 0; ++i) {
      EXPECT_EQ(setItem(rig.store, numbered("key", i), kValue), AllocError::kNone);
    }
    rig.clock.advance(100);
    rig.kc.hit("hot", rig.firstNs(), 10);
  }
  void evictSome() {
    for (int i = 0; i < 20; ++i) ASSERT_EQ(setItem(rig.store, numbered("new", i), kValue), AllocError::kNone);
    EXPECT_GE(rig.store.stats().evictions, 20u);
  }
  Rig rig{withMemory(kMiB), 8192};
};

TEST_F(HotKey, IsNotEvictedAsCold) {
  evictSome();
  EXPECT_TRUE(contains(rig.store, "hot"));
  EXPECT_FALSE(contains(rig.store, "key0"));
}

// Two pages full of 900-byte items, "hot" first on the first; XDP serves it only.
TEST(Mirror, APageMoveThatEvictsAnItemCountsItsXdpHitsFirst) {
  Rig rig{withMemory(2 * kMiB), 8192};
  ASSERT_EQ(setItem(rig.store, "hot", kValue), AllocError::kNone);
  for (int i = 0; rig.store.stats().classes[0].total_pages < 2 || rig.store.stats().classes[0].free_chunks > 0; ++i) {
    ASSERT_EQ(setItem(rig.store, numbered("key", i), kValue), AllocError::kNone);
  }
  rig.kc.hit("hot", rig.firstNs(), 10);
  const store::StoreStats before = rig.store.stats();
  ASSERT_EQ(rig.store.reassign(static_cast<int>(before.classes[0].id), 0), store::Reassign::kOk);
  const store::StoreStats after = rig.store.stats();
  ASSERT_GT(after.slab_reassign_evictions_nomem, 0u);
  ASSERT_FALSE(contains(rig.store, "hot"));
  // "hot" was read only through XDP: evicted fetched, every other item unfetched.
  EXPECT_EQ(after.evicted_unfetched - before.evicted_unfetched, after.slab_reassign_evictions_nomem - 1);
}

TEST_F(HotKey, IsNotEvictedAfterTheSweep) {
  rig.mirror.sweepHits(rig.store);
  EXPECT_EQ(rig.kc.hits[static_cast<size_t>(rig.kc.indexOf("hot"))].hits, 0u);
  evictSome();
  EXPECT_TRUE(contains(rig.store, "hot"));
  EXPECT_FALSE(contains(rig.store, "key0"));
}

TEST(Mirror, PausingStopsXdpUntilResumed) {
  Rig rig;
  EXPECT_EQ(rig.kc.state.paused, 0u);
  rig.mirror.setPaused(true);
  EXPECT_EQ(rig.kc.state.paused, 1u);
  rig.mirror.setPaused(false);
  EXPECT_EQ(rig.kc.state.paused, 0u);
}

TEST(Mirror, StoppingTheMirrorStopsXdp) {
  ManualClock clock;
  KernelCacheMemory kc(64);
  Store store(withMemory(2 * kMiB), clock);
  {
    Mirror mirror(kc.memory(), clock);
    store.setObserver(&mirror);
    ASSERT_EQ(setItem(store, "k", "v"), AllocError::kNone);
    EXPECT_TRUE(kc.serve("k", clock.monotonicNs(clock.now())));
    store.setObserver(nullptr);
  }
  EXPECT_FALSE(kc.serve("k", clock.monotonicNs(clock.now())));
}

TEST(Mirror, RefusesABadSize) {
  ManualClock clock;
  KernelCacheMemory kc(64);
  MirrorMemory m = kc.memory();
  const std::string bad_size = "kernel cache: the number of entries must be a power of two, at least " +
                               std::to_string(UNBUCKLE_KC_WAYS);
  m.entries = 48;
  EXPECT_EQ(Mirror::create(m, clock).error(), bad_size);
  m.entries = 2;
  EXPECT_EQ(Mirror::create(m, clock).error(), bad_size);
  m = kc.memory();
  m.hits = nullptr;
  EXPECT_EQ(Mirror::create(m, clock).error(), "kernel cache: slot, hit and state arrays are all needed");
  EXPECT_TRUE(Mirror::create(kc.memory(), clock).ok());
}

}  // namespace
}  // namespace unbuckle::kernel_cache
