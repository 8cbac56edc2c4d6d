// What one load run counted, per thread and then merged.
#pragma once

#include <array>
#include <cstdint>

#include "mcbench/reply_check.h"

namespace unbuckle::mcbench {

struct RunCounters {
  uint64_t get_hits = 0;
  uint64_t get_misses = 0;
  uint64_t get_lost = 0;    // UDP: no complete reply within --timeout-ms (a miss for the hit ratio)
  uint64_t get_errors = 0;  // answered, but wrong (see errors)
  uint64_t set_stored = 0;
  uint64_t set_lost = 0;
  uint64_t set_errors = 0;
  uint64_t stray = 0;        // UDP datagrams for no request in flight (late replies)
  uint64_t send_errors = 0;  // requests the kernel refused to send (not counted as issued)
  std::array<uint64_t, kErrorKindCount> errors{};

  uint64_t gets() const { return get_hits + get_misses + get_lost + get_errors; }
  uint64_t sets() const { return set_stored + set_lost + set_errors; }
  // Requests that got a reply, right or wrong: the throughput numerator.
  uint64_t answered() const { return get_hits + get_misses + get_errors + set_stored + set_errors; }
  uint64_t lost() const { return get_lost + set_lost; }
  uint64_t errorTotal() const { return get_errors + set_errors; }
  // Hits over all GETs; a lost GET counts as a miss.
  double hitRatio() const { return gets() ? static_cast<double>(get_hits) / static_cast<double>(gets()) : 0.0; }

  void merge(const RunCounters& other);
};

}  // namespace unbuckle::mcbench
