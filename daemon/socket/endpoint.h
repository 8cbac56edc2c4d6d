// A numeric address and port to bind, as given by --listen and --port.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace unbuckle::net {

struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;

  // `host` is a numeric IPv4 or IPv6 address.
  static std::optional<Endpoint> parse(const std::string& host, uint16_t port);

  int family() const { return address.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&address); }
  // "127.0.0.1:11211" or "[::1]:11211".
  std::string toString() const;
};

// A socket's local (or, with `peer`, remote) address as memcached's `stats
// conns` writes it: "tcp:127.0.0.1:11211", "udp6:[::1]:11211"; empty if the
// socket has none.
std::string statsAddress(int fd, bool udp, bool peer);

}  // namespace unbuckle::net
