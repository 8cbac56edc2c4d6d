// `mcbench fill`: sets distinct keys over TCP until the server's stats show
// an eviction, then reads how many items it holds and in how many bytes,
// which measures memory efficiency (items per MB at the same -m).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "mcbench/target.h"
#include "mcbench/workload.h"

namespace unbuckle::mcbench {

struct FillResult {
  uint64_t sets = 0;            // STORED replies
  uint64_t items_before = 0;    // curr_items when the fill began (should be 0)
  uint64_t curr_items = 0;      // at the first eviction
  uint64_t bytes = 0;           // stats "bytes": what the server accounts to items
  uint64_t limit_maxbytes = 0;  // the memory limit (-m)
  uint64_t evictions = 0;       // evictions seen when the fill stopped
  bool evicted = false;         // false: stopped by the time cap or the key space
  double seconds = 0;

  double limitBytesPerItem() const;
  double accountedBytesPerItem() const;
};

// Checks stats every kStatsEvery sets, so it overshoots the first eviction
// by at most that many. Throws std::runtime_error when the server refuses a
// set or cannot be reached.
FillResult fillUntilEviction(const Endpoint& endpoint, const Workload& workload,
                             std::chrono::duration<double> time_cap);

}  // namespace unbuckle::mcbench
