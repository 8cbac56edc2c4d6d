// A server's host and port turned into a socket address (IPv4 or IPv6),
// once, when the client is made.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace unbuckle::client {

struct ServerAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string name;  // "host:port" ("[::1]:11211" for IPv6), for messages

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

// Throws ClientError (unbuckle/client.h) when `host` does not resolve.
ServerAddress resolveServer(const std::string& host, uint16_t port);

}  // namespace unbuckle::client
