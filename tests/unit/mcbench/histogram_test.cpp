#include "mcbench/histogram.h"

#include <gtest/gtest.h>

namespace unbuckle::mcbench {
namespace {

TEST(LatencyHistogram, EmptyReportsZero) {
  const LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.percentile(0.5), 0u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.max(), 0u);
  EXPECT_EQ(histogram.mean(), 0.0);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (uint64_t v = 1; v <= 10; ++v) histogram.record(v);
  EXPECT_EQ(histogram.percentile(0.5), 5u);
  EXPECT_EQ(histogram.percentile(0.9), 9u);
  EXPECT_EQ(histogram.percentile(1.0), 10u);
  EXPECT_EQ(histogram.percentile(0.0), 1u);
  EXPECT_EQ(histogram.min(), 1u);
  EXPECT_EQ(histogram.max(), 10u);
  EXPECT_DOUBLE_EQ(histogram.mean(), 5.5);
}

TEST(LatencyHistogram, BucketsBoundTheRelativeError) {
  size_t previous_index = 0;
  for (uint64_t v = 1; v < (uint64_t{1} << 40); v = v + v / 7 + 1) {
    const size_t index = LatencyHistogram::bucketIndex(v);
    const uint64_t highest = LatencyHistogram::bucketHighest(index);
    EXPECT_GE(highest, v);
    EXPECT_LE(static_cast<double>(highest - v), static_cast<double>(v) / LatencyHistogram::kSubBuckets) << v;
    EXPECT_GE(index, previous_index);
    EXPECT_EQ(LatencyHistogram::bucketIndex(highest), index);
    EXPECT_EQ(LatencyHistogram::bucketIndex(highest + 1), index + 1) << v;
    previous_index = index;
  }
  EXPECT_EQ(LatencyHistogram::bucketHighest(LatencyHistogram::bucketIndex(UINT64_MAX)), UINT64_MAX);
}

TEST(LatencyHistogram, PercentilesOfAUniformSpreadWithinTwoPercent) {
  LatencyHistogram histogram;
  for (uint64_t v = 1; v <= 100000; ++v) histogram.record(v * 1000);  // 1 us .. 100 ms in ns
  EXPECT_NEAR(static_cast<double>(histogram.percentile(0.50)), 50e6, 0.02 * 50e6);
  EXPECT_NEAR(static_cast<double>(histogram.percentile(0.99)), 99e6, 0.02 * 99e6);
  EXPECT_NEAR(static_cast<double>(histogram.percentile(0.999)), 99.9e6, 0.02 * 99.9e6);
  EXPECT_GE(histogram.percentile(0.50), 50000000u);  // never below the true value
  EXPECT_EQ(histogram.percentile(1.0), 100000000u);
  EXPECT_EQ(histogram.count(), 100000u);
  EXPECT_NEAR(histogram.mean(), 50000.5 * 1000, 1e-6);
}

TEST(LatencyHistogram, TailPercentileSeesTheOutliers) {
  LatencyHistogram histogram;
  for (int i = 0; i < 990; ++i) histogram.record(100);
  for (int i = 0; i < 10; ++i) histogram.record(1000000);
  EXPECT_EQ(histogram.percentile(0.50), 100u);
  EXPECT_EQ(histogram.percentile(0.99), 100u);
  EXPECT_NEAR(static_cast<double>(histogram.percentile(0.999)), 1e6, 0.02 * 1e6);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (uint64_t v = 1; v < 5000; v += 3) {
    (v % 2 ? a : b).record(v * 17);
    all.record(v * 17);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double q : {0.1, 0.5, 0.9, 0.99, 0.999}) EXPECT_EQ(a.percentile(q), all.percentile(q)) << q;
}

}  // namespace
}  // namespace unbuckle::mcbench
