#include "mcbench/zipf_sampler.h"

#include <algorithm>
#include <cmath>

namespace unbuckle::mcbench {

namespace {

// expm1(x)/x and log1p(x)/x, continuous through x = 0 (s = 1 is the
// logarithmic case of the integral below).
double expm1OverX(double x) {
  if (std::fabs(x) > 1e-8) return std::expm1(x) / x;
  return 1.0 + x * 0.5 * (1.0 + x / 3.0);
}

double log1pOverX(double x) {
  if (std::fabs(x) > 1e-8) return std::log1p(x) / x;
  return 1.0 - x * (0.5 - x / 3.0);
}

}  // namespace

ZipfSampler::ZipfSampler(uint64_t n, double s) : n_(n), s_(s) {
  h_integral_x1_ = hIntegral(1.5) - 1.0;
  h_integral_n_ = hIntegral(static_cast<double>(n_) + 0.5);
  accept_width_ = 2.0 - hIntegralInverse(hIntegral(2.5) - h(2.0));
}

// The density hat: h(x) = x^-s.
double ZipfSampler::h(double x) const {
  return std::exp(-s_ * std::log(x));
}

// H(x) = integral of h from 1 to x = (x^(1-s) - 1) / (1 - s), or log x at s = 1.
double ZipfSampler::hIntegral(double x) const {
  const double log_x = std::log(x);
  return expm1OverX((1.0 - s_) * log_x) * log_x;
}

double ZipfSampler::hIntegralInverse(double x) const {
  const double t = std::max(-1.0, x * (1.0 - s_));
  return std::exp(log1pOverX(t) * x);
}

uint64_t ZipfSampler::sample(Rng& rng) const {
  for (;;) {
    // Invert H at a uniform point between H(n + 1/2) and H(3/2) - 1, round to
    // the nearest rank, and accept unless the point fell outside the bar of
    // that rank under the hat.
    const double u = h_integral_n_ + rng.uniform01() * (h_integral_x1_ - h_integral_n_);
    const double x = hIntegralInverse(u);
    const double rounded = std::floor(x + 0.5);
    const uint64_t k = std::clamp<uint64_t>(rounded < 1.0 ? 1 : static_cast<uint64_t>(rounded), 1, n_);
    const double kd = static_cast<double>(k);
    if (kd - x <= accept_width_ || u >= hIntegral(kd + 0.5) - h(kd)) return k;
  }
}

}  // namespace unbuckle::mcbench
