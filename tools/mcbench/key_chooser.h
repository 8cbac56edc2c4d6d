// Picks the key index of the next request: uniform over the key space, or
// Zipf-skewed with index 0 the most popular key.
#pragma once

#include <cstdint>
#include <optional>

#include "mcbench/random.h"
#include "mcbench/zipf_sampler.h"

namespace unbuckle::mcbench {

enum class KeyDistribution { kUniform, kZipf };

class KeyChooser {
 public:
  KeyChooser(uint64_t keys, KeyDistribution distribution, double zipf_s) : keys_(keys) {
    if (distribution == KeyDistribution::kZipf) zipf_.emplace(keys, zipf_s);
  }

  uint64_t next(Rng& rng) const { return zipf_ ? zipf_->sample(rng) - 1 : rng.below(keys_); }

 private:
  uint64_t keys_;
  std::optional<ZipfSampler> zipf_;
};

}  // namespace unbuckle::mcbench
