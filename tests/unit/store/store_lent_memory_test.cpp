// A store on memory it is lent (how the AF_XDP datapath puts the item arena
// in its umem): items live inside the loan and never outside it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "store/store.h"
#include "store_access.h"

namespace unbuckle::store {
namespace {

using test::getReply;
using test::numbered;
using test::setItem;

constexpr size_t kMiB = size_t{1} << 20;
constexpr std::byte kGuard{0xA5};

StoreConfig withMemory(size_t bytes) {
  StoreConfig config;
  config.memory_limit = bytes;
  return config;
}

TEST(StoreLentMemory, ArenaBytesIsTheMemoryLimitInWholePages) {
  // A page is max(1 MiB, max item size) plus 24 bytes of slack.
  EXPECT_EQ(Store::arenaBytes(withMemory(64 * kMiB)), 64 * (kMiB + 24));
  StoreConfig big_items = withMemory(64 * kMiB);
  big_items.max_item_size = 4 * kMiB;
  EXPECT_EQ(Store::arenaBytes(big_items), 16 * (4 * kMiB + 24));
  EXPECT_FALSE(Store::check(withMemory(kMiB / 2)).ok());
}

TEST(StoreLentMemory, ItemsLiveInsideTheLoanUpToEviction) {
  ManualClock clock;
  StoreConfig config = withMemory(4 * kMiB);
  const size_t needed = Store::arenaBytes(config);
  // Guard bytes on both sides of the loan catch a write outside it.
  std::vector<std::byte> memory(needed + 2 * 4096, kGuard);
  config.arena_memory = std::span(memory).subspan(4096, needed);
  Store store(config, clock);

  const std::string value(1000, 'v');
  size_t sets = 0;
  while (store.stats().evictions == 0) {
    ASSERT_EQ(setItem(store, numbered("key", sets), value), AllocError::kNone);
    ++sets;
    ASSERT_LT(sets, 100000u) << "no eviction in 4 MiB";
  }
  for (size_t i = 0; i < sets; ++i) {
    store.access(numbered("key", i), [&](Access& a) {
      if (const Item* item = a.item()) {
        const auto* reply = reinterpret_cast<const std::byte*>(item->reply().data());
        EXPECT_GE(reply, config.arena_memory.data());
        EXPECT_LE(reply + item->reply().size(), config.arena_memory.data() + needed);
      }
    });
  }
  EXPECT_EQ(getReply(store, numbered("key", sets - 1)),
            "VALUE " + numbered("key", sets - 1) + " 0 1000\r\n" + value + "\r\nEND\r\n");
  const auto guard_intact = [](auto first, auto last) {
    return std::all_of(first, last, [](std::byte b) { return b == kGuard; });
  };
  EXPECT_TRUE(guard_intact(memory.begin(), memory.begin() + 4096));
  EXPECT_TRUE(guard_intact(memory.end() - 4096, memory.end()));
}

TEST(StoreLentMemory, RefusesALoanTooSmallOrMisaligned) {
  ManualClock clock;
  StoreConfig config = withMemory(2 * kMiB);
  std::vector<std::byte> memory(Store::arenaBytes(config) + 8);
  config.arena_memory = std::span(memory).first(Store::arenaBytes(config) - 8);
  const std::string refused =
      "store: the lent arena memory is smaller than the memory limit needs, or not 8-byte aligned";
  EXPECT_EQ(Store::create(config, clock).error(), refused);
  config.arena_memory = std::span(memory).subspan(1, Store::arenaBytes(config));
  EXPECT_EQ(Store::create(config, clock).error(), refused);
  config.arena_memory = std::span(memory).first(Store::arenaBytes(config));
  EXPECT_TRUE(Store::create(config, clock).ok());
}

}  // namespace
}  // namespace unbuckle::store
