// memcached-style coarse time: whole seconds since the clock started
// (memcached's current_time / rel_time_t), plus the wall-clock time of that
// start so that absolute protocol exptimes can be converted.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

namespace unbuckle::store {

using RelTime = uint32_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual RelTime now() const = 0;       // seconds since start, starts at 2 like memcached
  virtual time_t processStarted() const = 0;  // unix time of RelTime 0
  // CLOCK_MONOTONIC nanoseconds at RelTime 0.
  virtual uint64_t monotonicStartNs() const = 0;

  // The CLOCK_MONOTONIC instant at which now() reaches t (SystemClock's
  // coarse clock gets there up to a tick later: never earlier).
  uint64_t monotonicNs(RelTime t) const { return monotonicStartNs() + uint64_t{t} * kNsPerSecond; }
  // now() at the CLOCK_MONOTONIC instant ns (0 before the start).
  RelTime relTimeAt(uint64_t ns) const {
    const uint64_t start = monotonicStartNs();
    return ns <= start ? 0 : static_cast<RelTime>((ns - start) / kNsPerSecond);
  }

  static constexpr uint64_t kNsPerSecond = 1'000'000'000;
};

// Real clock: sampled on every call (cheap with vDSO). It counts monotonic
// seconds, so setting the wall clock neither stalls nor rewinds expiry.
class SystemClock final : public Clock {
 public:
  SystemClock();
  RelTime now() const override;
  // Read against the wall clock of the moment, not fixed at start: the
  // monotonic and the wall second tick at different instants, so a fixed
  // start put `time() + 2` one second nearer for part of every second (a
  // `flush_all <time()+2>` then flushed the set that followed it).
  time_t processStarted() const override;
  uint64_t monotonicStartNs() const override { return uint64_t(monotonic_started_) * kNsPerSecond; }

 private:
  time_t monotonic_started_;  // CLOCK_MONOTONIC seconds at RelTime 0
};

// Test clock, moved by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(time_t started = 1700000000) : started_(started) {}
  RelTime now() const override { return now_.load(std::memory_order_relaxed); }
  time_t processStarted() const override { return started_; }
  uint64_t monotonicStartNs() const override { return monotonic_start_ns_.load(std::memory_order_relaxed); }
  void setMonotonicStartNs(uint64_t ns) { monotonic_start_ns_.store(ns, std::memory_order_relaxed); }
  void advance(RelTime seconds) { now_.fetch_add(seconds, std::memory_order_relaxed); }
  void set(RelTime t) { now_.store(t, std::memory_order_relaxed); }

 private:
  time_t started_;
  std::atomic<RelTime> now_{2};
  std::atomic<uint64_t> monotonic_start_ns_{1000 * kNsPerSecond};
};

}  // namespace unbuckle::store
