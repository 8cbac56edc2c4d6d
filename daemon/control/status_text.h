// The body of the `status` reply: one "name: value" line per fact, then one
// line per attached interface and one per queue, e.g.
//
//   version: 0.1.0
//   pid: 4242
//   uptime: 75 s
//   backend: xdp
//   memory: 1056 of 67108864 bytes used
//   items: 10
//   kernel cache: 8 of 65536 entries
//   interfaces: 1
//   interface ubx0: driver veth, XDP native, AF_XDP copy, 2 queues
//     queue 0: worker on CPU 1
//     queue 1: worker not run yet
#pragma once

#include <string>

#include "control/daemon_control.h"

namespace unbuckle::control {

std::string statusText(const DaemonStatus& status);

}  // namespace unbuckle::control
