#include "client/server_address.h"

#include <netdb.h>

#include <cstring>

#include "unbuckle/client.h"

namespace unbuckle::client {

ServerAddress resolveServer(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int error = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  // An IPv6 address in brackets, as server lists write it.
  const std::string name = (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" + service;
  if (error != 0 || found == nullptr) {
    throw ClientError("cannot resolve memcached server " + name + ": " + gai_strerror(error) +
                      "; give an address or a name in /etc/hosts or DNS");
  }
  ServerAddress address;
  std::memcpy(&address.storage, found->ai_addr, found->ai_addrlen);
  address.length = found->ai_addrlen;
  address.name = name;
  freeaddrinfo(found);
  return address;
}

}  // namespace unbuckle::client
