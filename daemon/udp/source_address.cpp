#include "udp/source_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace unbuckle::udp {

SourceAddress SourceAddress::ipv4(const uint8_t* address) {
  SourceAddress source;
  source.family = AF_INET;
  std::memcpy(source.bytes.data(), address, 4);
  return source;
}

SourceAddress SourceAddress::ipv6(const uint8_t* address) {
  static constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(address, kV4MappedPrefix, sizeof kV4MappedPrefix) == 0) {
    return ipv4(address + 12);
  }
  SourceAddress source;
  source.family = AF_INET6;
  std::memcpy(source.bytes.data(), address, 16);
  return source;
}

SourceAddress SourceAddress::fromSockaddr(const sockaddr* address) {
  if (address->sa_family == AF_INET6) {
    return ipv6(reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr.s6_addr);
  }
  return ipv4(reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr));
}

std::string SourceAddress::toString() const {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, bytes.data(), text, sizeof text);
  return text;
}

}  // namespace unbuckle::udp
