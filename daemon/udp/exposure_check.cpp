#include "udp/exposure_check.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

namespace unbuckle::udp {
namespace {

// Loopback, RFC 1918, RFC 6598 (carrier-grade NAT), link-local, unspecified
// and unique-local: not reachable from the Internet.
const std::vector<config::Cidr>& nonGlobalRanges() {
  static const std::vector<config::Cidr> ranges = [] {
    std::vector<config::Cidr> parsed;
    for (const char* text : {"0.0.0.0/8", "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                             "100.64.0.0/10", "169.254.0.0/16", "::/128", "::1/128", "fc00::/7", "fe80::/10"}) {
      parsed.push_back(*config::Cidr::parse(text));
    }
    return parsed;
  }();
  return ranges;
}

bool insideNonGlobal(const config::Cidr& network) {
  return std::ranges::any_of(nonGlobalRanges(), [&](const config::Cidr& range) { return range.covers(network); });
}

}  // namespace

bool isGlobalAddress(const config::Cidr& address) { return !insideNonGlobal(address); }

const config::Cidr* worldWideNetwork(const std::vector<config::Cidr>& allow, int family) {
  const unsigned widest = family == AF_INET ? 8 : 32;
  for (const config::Cidr& network : allow) {
    if (network.family() == family && network.prefixLength() <= widest && !insideNonGlobal(network)) {
      return &network;
    }
  }
  return nullptr;
}

std::string exposureWarning(const std::string& interface, const std::vector<config::Cidr>& addresses,
                            const std::vector<config::Cidr>& allow) {
  for (const config::Cidr& address : addresses) {
    if (!isGlobalAddress(address)) continue;
    const config::Cidr* world = worldWideNetwork(allow, address.family());
    if (!world) continue;
    std::string host = address.toString();
    host = host.substr(0, host.find('/'));
    return interface + " has the global address " + host + " and the allow list admits " + world->toString() +
           ": anyone on the Internet can send memcached UDP with a forged source and have the replies sent to "
           "it (an amplifier); list only your clients' networks (--allow, or unbucklectl allow CIDR...)";
  }
  return {};
}

std::vector<config::Cidr> interfaceAddresses(const std::string& interface) {
  std::vector<config::Cidr> addresses;
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) != 0) return addresses;
  for (const ifaddrs* entry = all; entry; entry = entry->ifa_next) {
    if (!entry->ifa_addr || interface != entry->ifa_name) continue;
    const int family = entry->ifa_addr->sa_family;
    char text[INET6_ADDRSTRLEN] = "";
    if (family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr, text, sizeof text);
    } else if (family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr)->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    if (auto address = config::Cidr::parse(text)) addresses.push_back(*address);
  }
  freeifaddrs(all);
  return addresses;
}

}  // namespace unbuckle::udp
