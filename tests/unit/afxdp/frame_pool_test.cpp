#include "afxdp/frame_pool.h"

#include <gtest/gtest.h>

#include <set>

namespace unbuckle::afxdp {
namespace {

constexpr uint32_t kFrame = 4096;
constexpr uint64_t kFirst = 8 * kFrame;   // a slice that does not start at 0

TEST(FramePool, HandsOutEveryFrameOnceThenNothing) {
  FramePool pool(kFirst, 8, kFrame);
  EXPECT_EQ(pool.total(), 8u);
  EXPECT_EQ(pool.available(), 8u);
  std::set<uint64_t> seen;
  for (int i = 0; i < 8; ++i) {
    const auto frame = pool.take();
    ASSERT_TRUE(frame);
    EXPECT_EQ(*frame % kFrame, 0u);
    EXPECT_TRUE(pool.owns(*frame));
    seen.insert(*frame);
  }
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(*seen.begin(), kFirst);
  EXPECT_EQ(*seen.rbegin(), kFirst + 7 * kFrame);
  EXPECT_FALSE(pool.take());
  EXPECT_EQ(pool.available(), 0u);
}

TEST(FramePool, FirstFramesComeFirst) {
  FramePool pool(kFirst, 4, kFrame);
  EXPECT_EQ(pool.take(), kFirst);
  EXPECT_EQ(pool.take(), kFirst + kFrame);
}

TEST(FramePool, GiveRoundsAnAddressInsideAFrameDown) {
  // RX descriptors point past the kernel's headroom, not at the frame start.
  FramePool pool(kFirst, 2, kFrame);
  const uint64_t a = *pool.take();
  const uint64_t b = *pool.take();
  pool.give(a + 256);
  pool.give(b + kFrame - 1);
  EXPECT_EQ(pool.available(), 2u);
  EXPECT_EQ(pool.take(), b);
  EXPECT_EQ(pool.take(), a);
}

TEST(FramePool, OwnsOnlyItsSlice) {
  FramePool pool(kFirst, 4, kFrame);
  EXPECT_FALSE(pool.owns(kFirst - 1));
  EXPECT_TRUE(pool.owns(kFirst));
  EXPECT_TRUE(pool.owns(kFirst + 4 * kFrame - 1));
  EXPECT_FALSE(pool.owns(kFirst + 4 * kFrame));
  EXPECT_FALSE(pool.owns(0));
}

TEST(FramePool, CountsSurviveManyCycles) {
  FramePool pool(0, 64, kFrame);
  for (int round = 0; round < 1000; ++round) {
    std::vector<uint64_t> out;
    for (int i = 0; i < 1 + round % 64; ++i) {
      out.push_back(*pool.take());
    }
    for (uint64_t frame : out) {
      pool.give(frame + round % kFrame);
    }
    ASSERT_EQ(pool.available(), 64u);
  }
  std::set<uint64_t> all;
  while (auto frame = pool.take()) {
    all.insert(*frame);
  }
  EXPECT_EQ(all.size(), 64u);
}

}  // namespace
}  // namespace unbuckle::afxdp
