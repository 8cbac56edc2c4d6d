// Serving on `lo` through AF_XDP needs two sysctls of lo set; this sets
// them for as long as it lives and restores them after.
//
// Why: a frame sent from an AF_XDP socket on lo comes back in on lo with no
// route attached, so the kernel routes it as if it came from outside. A
// 127.0.0.0/8 source is then martian unless net.ipv4.conf.lo.route_localnet
// is 1, and a local source address is refused unless
// net.ipv4.conf.lo.accept_local is 1: the replies are sent and never
// delivered. We set both (with a log line) rather than send lo's replies
// through a kernel socket, so that the embedded default runs the same
// AF_XDP path as a NIC. Both only widen what lo accepts, and only lo can
// deliver to lo. A clean stop restores the old values; after kill -9 they
// stay set. IPv6 (::1) needs no change.
#pragma once

#include <memory>
#include <string>

#include "result.h"

namespace unbuckle::afxdp {

class LoopbackRouting {
 public:
  // Sets both sysctls to 1 (a no-op for those already 1).
  static Result<std::unique_ptr<LoopbackRouting>> enable();
  ~LoopbackRouting();
  LoopbackRouting(const LoopbackRouting&) = delete;
  LoopbackRouting& operator=(const LoopbackRouting&) = delete;

 private:
  LoopbackRouting() = default;

  std::string route_localnet_;   // the values found, restored at destruction
  std::string accept_local_;
};

}  // namespace unbuckle::afxdp
