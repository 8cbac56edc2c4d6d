// Daemon threads changing keys that share kernel-cache sets while a reader
// copies slots as XDP does (sequence counter before and after): every copy
// it accepts is one whole write, and afterwards XDP and the daemon agree.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <charconv>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kernel_cache/mirror.h"
#include "kernel_cache_memory.h"
#include "store/store.h"
#include "store_access.h"

namespace unbuckle::kernel_cache {
namespace {

using store::AllocError;

constexpr int kKeys = 48;            // over 8 sets of 4 ways: the ways are fought over
constexpr uint32_t kEntries = 32;
constexpr int kWriters = 3;
constexpr int kOpsPerWriter = 20000;
constexpr auto kTimeLimit = std::chrono::seconds(5);

std::string keyOf(int i) { return "key" + std::to_string(i); }

// "<key>:<version>:" then version % 300 'x': a torn copy cannot look whole.
std::string valueOf(const std::string& key, uint64_t version) {
  return key + ":" + std::to_string(version) + ":" + std::string(version % 300, 'x');
}

bool wellFormed(const std::string& key, std::string_view reply) {
  const std::string head = "VALUE " + key + " 0 ";
  if (reply.substr(0, head.size()) != head) return false;
  reply.remove_prefix(head.size());
  size_t length = 0;
  auto [end, ec] = std::from_chars(reply.data(), reply.data() + reply.size(), length);
  if (ec != std::errc() || reply.substr(static_cast<size_t>(end - reply.data()), 2) != "\r\n") return false;
  const std::string_view data = reply.substr(static_cast<size_t>(end - reply.data()) + 2);
  if (data.size() != length + 7 || data.substr(length) != "\r\nEND\r\n") return false;
  const std::string_view value = data.substr(0, length);
  const std::string prefix = key + ":";
  if (value.substr(0, prefix.size()) != prefix) return false;
  uint64_t version = 0;
  const char* digits = value.data() + prefix.size();
  auto [vend, vec] = std::from_chars(digits, value.data() + value.size(), version);
  if (vec != std::errc()) return false;
  return std::string(value) == valueOf(key, version);
}

// XDP's copy: seq (even), the slot, seq again. Word-wise atomic loads keep
// the copy free of data races in C++ terms.
bool copySlot(unbuckle_kc_slot& slot, unbuckle_kc_slot& copy) {
  std::atomic_ref<__u32> seq(slot.seq);
  const uint32_t before = seq.load(std::memory_order_acquire);
  if (before & 1) return false;
  auto* from = reinterpret_cast<__u64*>(&slot);
  auto* to = reinterpret_cast<__u64*>(&copy);
  for (size_t w = 0; w < sizeof(slot) / 8; ++w) to[w] = std::atomic_ref<__u64>(from[w]).load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  return seq.load(std::memory_order_relaxed) == before && copy.seq == before;
}

TEST(MirrorConcurrency, ReadersSeeOnlyWholeSlotsAndTheDaemonAgreesAfterwards) {
  store::ManualClock clock;
  test::KernelCacheMemory kc(kEntries);
  store::StoreConfig config;
  config.memory_limit = 16u << 20;
  config.automove = 0;
  store::Store store(config, clock);
  Mirror mirror(kc.memory(), clock);
  store.setObserver(&mirror);

  const auto deadline = std::chrono::steady_clock::now() + kTimeLimit;
  std::atomic<uint64_t> version{0};
  std::atomic<int> writers_left{kWriters};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int op = 0; op < kOpsPerWriter && std::chrono::steady_clock::now() < deadline; ++op) {
        const std::string key = keyOf(static_cast<int>(rng() % kKeys));
        const unsigned kind = rng() % 10;
        if (kind < 6) {
          EXPECT_EQ(store::test::setItem(store, key, valueOf(key, version.fetch_add(1))), AllocError::kNone);
        } else if (kind < 8) {
          store::test::deleteItem(store, key);
        } else {
          store::test::getReply(store, key);
        }
      }
      writers_left.fetch_sub(1);
    });
  }

  uint64_t whole = 0;
  uint64_t torn = 0;
  unbuckle_kc_slot copy;
  for (uint32_t i = 0; writers_left.load() > 0; i = (i + 1) % kEntries) {
    if (!copySlot(kc.slots[i], copy) || copy.key_len == 0) continue;
    const std::string key(reinterpret_cast<const char*>(copy.key), copy.key_len);
    const std::string_view reply(reinterpret_cast<const char*>(copy.reply), copy.reply_len);
    if (wellFormed(key, reply) && copy.key_hash == kc.hashOf(key)) {
      ++whole;
    } else {
      ++torn;
    }
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(torn, 0u);
  EXPECT_GT(whole, 0u);
  std::printf("%llu whole copies checked\n", static_cast<unsigned long long>(whole));

  // Each key in at most one way, and XDP answers what the daemon answers.
  const uint64_t now_ns = clock.monotonicNs(clock.now());
  for (uint32_t set = 0; set < kEntries / UNBUCKLE_KC_WAYS; ++set) {
    std::set<std::string> keys;
    for (uint32_t w = 0; w < UNBUCKLE_KC_WAYS; ++w) {
      const unbuckle_kc_slot& s = kc.slots[set * UNBUCKLE_KC_WAYS + w];
      EXPECT_EQ(s.seq % 2, 0u);
      if (s.key_len != 0) {
        EXPECT_TRUE(keys.emplace(reinterpret_cast<const char*>(s.key), s.key_len).second);
      }
    }
  }
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = keyOf(i);
    const std::optional<std::string> xdp = kc.serve(key, now_ns);
    const std::optional<std::string> daemon = store.access(key, [](store::Access& a) -> std::optional<std::string> {
      if (a.item() == nullptr) return std::nullopt;
      return std::string(a.item()->reply());
    });
    if (xdp) {
      EXPECT_EQ(*xdp, daemon.value_or("a miss")) << key;
    }
  }
  store.setObserver(nullptr);
}

}  // namespace
}  // namespace unbuckle::kernel_cache
