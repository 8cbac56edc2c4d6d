// Asks a server "version" over UDP to learn whether it answers UDP at all
// (memcached serves UDP only when started with -U).
#pragma once

#include <chrono>

#include "mcbench/target.h"

namespace unbuckle::mcbench {

// True when a framed reply arrives within `timeout` (the request is resent
// every 100 ms meanwhile, since a datagram may be lost).
bool probeUdp(const Endpoint& endpoint, std::chrono::milliseconds timeout);

}  // namespace unbuckle::mcbench
