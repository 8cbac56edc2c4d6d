// Benchmark targets: "NAME=HOST:PORT" on the command line, and the safety
// rule for where mcbench may send load. Allowed are loopback addresses and
// addresses on a directly connected interface that does not carry this
// network namespace's default route, i.e. the veth of a test namespace;
// never anything reached through a gateway or on the host's uplink.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace unbuckle::mcbench {

struct Endpoint {
  in_addr address{};  // network byte order
  uint16_t port = 0;  // host byte order

  sockaddr_in sockaddr() const;
  std::string str() const;  // "127.0.0.1:11211"
};

struct Target {
  std::string name;
  Endpoint endpoint;
};

// "NAME=HOST:PORT" or "HOST:PORT" (the name is then "HOST:PORT"). HOST is a
// dotted IPv4 address or "localhost". Throws std::invalid_argument.
Target parseTarget(std::string_view text);

struct RouteVerdict {
  bool allowed = false;
  std::string reason;  // why, in a few words, for the refusal line
};

// Applies the rule to `address` given the text of /proc/net/route (IPv4 main
// table, one route per line: Iface Destination Gateway Flags ... Mask ...).
RouteVerdict checkRoute(in_addr address, std::string_view proc_net_route);

// Reads /proc/net/route and applies checkRoute.
RouteVerdict checkTargetAllowed(in_addr address);

}  // namespace unbuckle::mcbench
