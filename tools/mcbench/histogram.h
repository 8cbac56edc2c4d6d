// Latency histogram in the HdrHistogram style: a power-of-two magnitude split
// into kSubBuckets linear sub-buckets, so every recorded value is kept to
// within 1/kSubBuckets (1.6%) of itself in constant memory. Recording is
// O(1) and histograms of several threads merge by adding counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace unbuckle::mcbench {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBucketBits = 6;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;

  LatencyHistogram();

  void record(uint64_t value);
  void merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const;

  // The value at or below which a fraction q (0..1) of the samples lie,
  // reported as the top of its bucket (never above the largest sample).
  uint64_t percentile(double q) const;

  // Bucket arithmetic, public for the tests.
  static size_t bucketIndex(uint64_t value);
  static uint64_t bucketHighest(size_t index);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace unbuckle::mcbench
