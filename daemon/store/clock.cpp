#include "store/clock.h"

namespace unbuckle::store {

namespace {

constexpr RelTime kFirstTick = 2;

// The coarse clock is a plain memory read in the vDSO; whole seconds need no more.
time_t monotonicSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return ts.tv_sec;
}

}  // namespace

SystemClock::SystemClock() : monotonic_started_(monotonicSeconds() - kFirstTick) {}

RelTime SystemClock::now() const { return static_cast<RelTime>(monotonicSeconds() - monotonic_started_); }

time_t SystemClock::processStarted() const { return time(nullptr) - now(); }

}  // namespace unbuckle::store
