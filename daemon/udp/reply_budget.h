// The reply budget of one worker (--udp-reply-rate, --udp-reply-burst): a
// token bucket of reply bytes per source address, refilled by
// unbuckle_reply_refill() (include/unbuckle/bpf_abi.h, for XDP to share). A request is answered only while its
// source's bucket is positive; its replies' bytes are then taken, so a
// bucket goes at most one request's replies below zero.
//
// Bounded memory, no allocation after construction: kSets sets of kWays
// buckets, the set chosen by a hash of the address with a seed drawn at
// start-up (a sender cannot aim at one set). A source not in its set takes
// the bucket refilled longest ago and starts full: a source evicted by
// kSets * kWays newer ones gets its burst again.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "config/daemon_config.h"
#include "udp/source_address.h"

namespace unbuckle::udp {

// Defaults: the daemon's (--udp-reply-rate, --udp-reply-burst).
struct ReplyBudgetConfig {
  uint64_t rate = config::DaemonConfig{}.udp_reply_rate;     // bytes per second per source, > 0
  uint64_t burst = config::DaemonConfig{}.udp_reply_burst;   // at most UNBUCKLE_REPLY_BURST_MAX
};

class ReplyBudget {
 public:
  static constexpr size_t kWays = 4;
  static constexpr size_t kSets = 4096;   // 16384 sources per worker, 640 KiB

  explicit ReplyBudget(const ReplyBudgetConfig& config);

  // Refills `source`'s bucket to `now_ns` (CLOCK_MONOTONIC) and says
  // whether it is positive; debit() then takes from this bucket.
  bool admits(const SourceAddress& source, uint64_t now_ns);
  // Takes `bytes` from the bucket of the source admitted last.
  void debit(uint64_t bytes);

 private:
  struct Bucket {
    SourceAddress source;
    int64_t tokens = 0;
    uint64_t last_ns = 0;   // 0: unused
  };

  size_t setOf(const SourceAddress& source) const;

  ReplyBudgetConfig config_;
  uint64_t seed_;
  std::vector<Bucket> buckets_;   // kSets * kWays, set s at [s * kWays, s * kWays + kWays)
  Bucket* current_ = nullptr;
};

}  // namespace unbuckle::udp
