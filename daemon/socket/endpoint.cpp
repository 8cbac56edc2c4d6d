#include "socket/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace unbuckle::net {

std::optional<Endpoint> Endpoint::parse(const std::string& host, uint16_t port) {
  Endpoint endpoint;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&endpoint.address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&endpoint.address);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    endpoint.length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    endpoint.length = sizeof(sockaddr_in6);
  } else {
    return std::nullopt;
  }
  return endpoint;
}

std::string Endpoint::toString() const {
  char host[INET6_ADDRSTRLEN] = "";
  if (family() == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
  inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
  std::string text = "[";
  text += host;
  text += "]:";
  text += std::to_string(ntohs(v6->sin6_port));
  return text;
}

std::string statsAddress(int fd, bool udp, bool peer) {
  Endpoint endpoint;
  endpoint.length = sizeof endpoint.address;
  auto* address = reinterpret_cast<sockaddr*>(&endpoint.address);
  const int got = peer ? getpeername(fd, address, &endpoint.length)
                       : getsockname(fd, address, &endpoint.length);
  if (got != 0 || (endpoint.family() != AF_INET && endpoint.family() != AF_INET6)) return {};
  std::string text = udp ? "udp" : "tcp";
  if (endpoint.family() == AF_INET6) text += '6';
  return text + ':' + endpoint.toString();
}

}  // namespace unbuckle::net
