#include "mcbench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace unbuckle::mcbench {

namespace {

// Values below kSubBuckets get one bucket each; every magnitude above that
// (2^6 .. 2^63) gets kSubBuckets buckets.
constexpr size_t kBucketCount =
    LatencyHistogram::kSubBuckets + (64 - LatencyHistogram::kSubBucketBits) * LatencyHistogram::kSubBuckets;

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBucketCount, 0) {}

size_t LatencyHistogram::bucketIndex(uint64_t value) {
  if (value < kSubBuckets) return static_cast<size_t>(value);
  const unsigned magnitude = 63 - static_cast<unsigned>(std::countl_zero(value));
  const unsigned shift = magnitude - kSubBucketBits;
  const uint64_t top = value >> shift;  // in [kSubBuckets, 2 * kSubBuckets)
  return static_cast<size_t>(kSubBuckets + shift * kSubBuckets + (top - kSubBuckets));
}

uint64_t LatencyHistogram::bucketHighest(size_t index) {
  if (index < kSubBuckets) return index;
  const uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  const uint64_t top = kSubBuckets + (index - kSubBuckets) % kSubBuckets;
  return ((top + 1) << shift) - 1;
}

void LatencyHistogram::record(uint64_t value) {
  ++counts_[bucketIndex(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LatencyHistogram::mean() const {
  return count_ ? static_cast<double>(sum_ / static_cast<long double>(count_)) : 0.0;
}

uint64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(bucketHighest(i), min_, max_);
  }
  return max_;
}

}  // namespace unbuckle::mcbench
