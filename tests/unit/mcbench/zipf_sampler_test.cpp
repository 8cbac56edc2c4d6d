#include "mcbench/zipf_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mcbench/key_chooser.h"

namespace unbuckle::mcbench {
namespace {

// Sampled frequencies of ranks against k^-s / sum(j^-s), within 4 standard
// deviations of a binomial count.
void expectZipf(uint64_t n, double s, int samples) {
  ZipfSampler sampler(n, s);
  Rng rng(12345);
  std::vector<uint64_t> counts(n + 1, 0);
  for (int i = 0; i < samples; ++i) {
    const uint64_t k = sampler.sample(rng);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, n);
    ++counts[k];
  }
  double normaliser = 0;
  for (uint64_t k = 1; k <= n; ++k) normaliser += std::pow(static_cast<double>(k), -s);
  for (uint64_t k : {1, 2, 3, 10, 100, 1000}) {
    if (k > n) continue;
    const double p = std::pow(static_cast<double>(k), -s) / normaliser;
    const double expected = p * samples;
    const double sigma = std::sqrt(samples * p * (1 - p));
    EXPECT_NEAR(static_cast<double>(counts[k]), expected, 4 * sigma + 1) << "n=" << n << " s=" << s << " rank " << k;
  }
}

TEST(ZipfSampler, MatchesTheDistributionBelowOne) {
  expectZipf(1000, 0.99, 400000);
}
TEST(ZipfSampler, MatchesTheDistributionAtOne) {
  expectZipf(1000, 1.0, 400000);
}
TEST(ZipfSampler, MatchesTheDistributionAboveOne) {
  expectZipf(5000, 1.5, 400000);
}
TEST(ZipfSampler, MatchesAMildSkew) {
  expectZipf(100, 0.5, 400000);
}

TEST(ZipfSampler, SingleElement) {
  ZipfSampler sampler(1, 0.99);
  Rng rng(1);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(sampler.sample(rng), 1u);
}

TEST(ZipfSampler, HugeKeySpaceNeedsNoSetUpAndStaysInRange) {
  const uint64_t n = 1'000'000'000'000ULL;
  ZipfSampler sampler(n, 0.99);
  Rng rng(7);
  uint64_t ones = 0;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t k = sampler.sample(rng);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, n);
    ones += k == 1;
  }
  EXPECT_GT(ones, 0u);  // the head is still the most popular
}

TEST(KeyChooser, UniformCoversTheKeySpaceEvenly) {
  const KeyChooser chooser(10, KeyDistribution::kUniform, 0);
  Rng rng(3);
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t key = chooser.next(rng);
    ASSERT_LT(key, 10u);
    ++counts[key];
  }
  for (int count : counts) EXPECT_NEAR(count, 10000, 400);
}

TEST(KeyChooser, ZipfMakesKeyZeroTheMostPopular) {
  const KeyChooser chooser(1000, KeyDistribution::kZipf, 0.99);
  Rng rng(3);
  std::vector<int> counts(1000, 0);
  for (int i = 0; i < 100000; ++i) ++counts[chooser.next(rng)];
  EXPECT_GT(counts[0], counts[1]);
  EXPECT_GT(counts[1], counts[10]);
  EXPECT_GT(counts[10], counts[999]);
}

}  // namespace
}  // namespace unbuckle::mcbench
