// The source of a received UDP datagram as every datapath knows it: the
// address family and the address bytes, network order (IPv4 in the first 4
// bytes, the rest zero). No port: budgets and the allow list are per host.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>

namespace unbuckle::udp {

struct SourceAddress {
  uint8_t family = AF_INET;   // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};

  static SourceAddress ipv4(const uint8_t* address);   // 4 bytes
  // 16 bytes; an IPv4-mapped address (::ffff:a.b.c.d) becomes IPv4, so one
  // host has one address whichever socket or datapath it reached.
  static SourceAddress ipv6(const uint8_t* address);
  // From a recvmmsg() source (AF_INET or AF_INET6).
  static SourceAddress fromSockaddr(const sockaddr* address);

  std::string toString() const;
  bool operator==(const SourceAddress&) const = default;
};

}  // namespace unbuckle::udp
