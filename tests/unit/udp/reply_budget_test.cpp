#include "udp/reply_budget.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "unbuckle/bpf_abi.h"

namespace unbuckle::udp {
namespace {

constexpr uint64_t kSecond = 1000000000;

SourceAddress host(uint8_t last) {
  const uint8_t bytes[4] = {10, 0, 0, last};
  return SourceAddress::ipv4(bytes);
}

TEST(ReplyRefill, AddsRateTimesTimeUpToTheBurst) {
  EXPECT_EQ(unbuckle_reply_refill(0, kSecond / 2, 1000, 10000), 500);
  EXPECT_EQ(unbuckle_reply_refill(-3000, kSecond, 1000, 10000), -2000);
  EXPECT_EQ(unbuckle_reply_refill(9900, kSecond, 1000, 10000), 10000);
  EXPECT_EQ(unbuckle_reply_refill(12000, 0, 1000, 10000), 10000);
  // The largest burst and debt, a long idle time: no overflow.
  EXPECT_EQ(unbuckle_reply_refill(-(int64_t{1} << 27), uint64_t{1} << 62, 64ull << 30, UNBUCKLE_REPLY_BURST_MAX),
            static_cast<int64_t>(UNBUCKLE_REPLY_BURST_MAX));
  EXPECT_EQ(unbuckle_reply_refill(-(int64_t{1} << 27), kSecond, 1, UNBUCKLE_REPLY_BURST_MAX), -(int64_t{1} << 27) + 1);
}

TEST(ReplyBudget, ServesWhilePositiveThenRefillsAtTheRate) {
  ReplyBudget budget({1000, 4000});
  uint64_t now = kSecond;
  EXPECT_TRUE(budget.admits(host(1), now));   // a new source starts full
  budget.debit(5000);                          // one reply may take it below zero
  EXPECT_FALSE(budget.admits(host(1), now));
  EXPECT_FALSE(budget.admits(host(1), now + kSecond));   // -1000 + 1000 = 0: not positive
  now += kSecond + kSecond / 100;
  EXPECT_TRUE(budget.admits(host(1), now));
  budget.debit(10);
  EXPECT_FALSE(budget.admits(host(1), now));
}

TEST(ReplyBudget, SourcesHaveBucketsOfTheirOwn) {
  ReplyBudget budget({1000, 4000});
  EXPECT_TRUE(budget.admits(host(1), 1));
  budget.debit(4000);
  EXPECT_FALSE(budget.admits(host(1), 1));
  EXPECT_TRUE(budget.admits(host(2), 1));
  const uint8_t v6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1};
  EXPECT_TRUE(budget.admits(SourceAddress::ipv6(v6), 1));
  // An IPv4-mapped address is its IPv4 host.
  const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
  EXPECT_FALSE(budget.admits(SourceAddress::ipv6(mapped), 1));
}

TEST(ReplyBudget, TableIsBoundedAndEvictsTheLeastRecentlySeen) {
  ReplyBudget budget({1000, 4000});
  EXPECT_TRUE(budget.admits(host(1), 1));
  budget.debit(4000);
  // Many more sources than buckets, all seen later than host(1).
  const size_t sources = 4 * ReplyBudget::kSets * ReplyBudget::kWays;
  for (size_t i = 0; i < sources; ++i) {
    const uint8_t bytes[4] = {10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                              static_cast<uint8_t>(i)};
    if (bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 1) continue;
    budget.admits(SourceAddress::ipv4(bytes), 2 + i);
  }
  // host(1) was evicted and starts again with a full bucket.
  EXPECT_TRUE(budget.admits(host(1), 3 + sources));
}

}  // namespace
}  // namespace unbuckle::udp
