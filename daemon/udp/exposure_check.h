// Whether the allow list exposes memcached UDP to the whole Internet on an
// interface: the interface has a global address (not loopback, private,
// shared, link-local or unique-local) and the list admits most of the world
// of that address's family. Memcached UDP was the amplifier of the largest
// DDoS attacks of 2018; the daemon says so in one warning line.
#pragma once

#include <string>
#include <vector>

#include "config/cidr.h"

namespace unbuckle::udp {

// Whether `address` (a host prefix) is global.
bool isGlobalAddress(const config::Cidr& address);

// A network of `allow` that admits the world for `family` (AF_INET,
// AF_INET6): an IPv4 prefix of /8 or shorter, an IPv6 one of /32 or
// shorter, not inside the non-global ranges. Null when there is none.
const config::Cidr* worldWideNetwork(const std::vector<config::Cidr>& allow, int family);

// The warning for `interface` with `addresses` under `allow`, or empty.
std::string exposureWarning(const std::string& interface, const std::vector<config::Cidr>& addresses,
                            const std::vector<config::Cidr>& allow);

// The IPv4 and IPv6 addresses of `interface` now, as host prefixes.
std::vector<config::Cidr> interfaceAddresses(const std::string& interface);

}  // namespace unbuckle::udp
