// --preload: sets every key of the workload over TCP, pipelined, one
// connection per thread, before anything is measured.
#pragma once

#include <cstdint>

#include "mcbench/target.h"
#include "mcbench/workload.h"

namespace unbuckle::mcbench {

struct PreloadResult {
  uint64_t stored = 0;
  uint64_t refused = 0;  // answered with anything but STORED
  double seconds = 0;
};

// Throws std::runtime_error on connection failures; returns early (with
// what was done) when a stop is requested.
PreloadResult preload(const Endpoint& endpoint, const Workload& workload, uint32_t connections);

}  // namespace unbuckle::mcbench
