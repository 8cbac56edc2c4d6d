// Zipf-distributed ranks 1..n with P(k) proportional to k^-s, any s > 0,
// by rejection-inversion (Hörmann and Derflinger, "Rejection-inversion to
// generate variates from monotone discrete distributions", 1996): O(1) set-up
// and O(1) expected time per sample, so a key space of 10^9 costs nothing to
// prepare (the classic YCSB method needs an O(n) zeta sum and s < 1).
#pragma once

#include <cstdint>

#include "mcbench/random.h"

namespace unbuckle::mcbench {

class ZipfSampler {
 public:
  // Requires n >= 1 and s > 0.
  ZipfSampler(uint64_t n, double s);

  uint64_t sample(Rng& rng) const;

 private:
  double h(double x) const;
  double hIntegral(double x) const;
  double hIntegralInverse(double x) const;

  uint64_t n_;
  double s_;
  double h_integral_x1_;
  double h_integral_n_;
  double accept_width_;
};

}  // namespace unbuckle::mcbench
