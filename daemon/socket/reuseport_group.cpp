#include "socket/reuseport_group.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <string>

namespace unbuckle::net {
namespace {

constexpr int kListenBacklog = 1024;   // memcached -b

std::string describe(int error) {
  switch (error) {
    case EADDRINUSE:
      return "address in use";
    case EADDRNOTAVAIL:
      return "address not available on this host";
    case EACCES:
      return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)";
    default:
      return strerror(error);
  }
}

Error failure(const Endpoint& endpoint, Protocol protocol, int error) {
  return Error{"cannot listen on " + endpoint.toString() +
                   (protocol == Protocol::kTcp ? " (TCP): " : " (UDP): ") + describe(error),
               error};
}

bool enable(int fd, int level, int option) {
  const int one = 1;
  return setsockopt(fd, level, option, &one, sizeof one) == 0;
}

// A TCP listener is non-blocking: a connection reset between readiness and
// accept4() must not block the worker. A UDP socket blocks on send (a full
// send buffer throttles the worker instead of dropping replies) and is read
// with MSG_DONTWAIT.
int socketType(Protocol protocol) {
  return protocol == Protocol::kTcp ? SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC
                                    : SOCK_DGRAM | SOCK_CLOEXEC;
}

// memcached makes every IPv6 socket IPv6 only, so that `::` and `0.0.0.0`
// are two listeners and an IPv4 client never shows as ::ffff:a.b.c.d.
bool ipv6Only(int fd, const Endpoint& endpoint) {
  return endpoint.family() != AF_INET6 || enable(fd, IPPROTO_IPV6, IPV6_V6ONLY);
}

// 0 when nobody holds the port, else the errno of the failed bind. TCP sets
// SO_REUSEADDR so that connections of a previous run in TIME_WAIT are no
// obstacle; on UDP that option would share the port, so it stays off there.
int probe(const Endpoint& endpoint, Protocol protocol) {
  FileDescriptor fd(socket(endpoint.family(), socketType(protocol), 0));
  if (!fd) {
    return errno;
  }
  if ((protocol == Protocol::kTcp && !enable(fd.get(), SOL_SOCKET, SO_REUSEADDR)) ||
      !ipv6Only(fd.get(), endpoint)) {
    return errno;
  }
  return bind(fd.get(), endpoint.get(), endpoint.length) == 0 ? 0 : errno;
}

}  // namespace

Result<std::vector<FileDescriptor>> openReusePortGroup(const Endpoint& endpoint, Protocol protocol,
                                                       size_t count) {
  if (const int error = probe(endpoint, protocol); error != 0) {
    return failure(endpoint, protocol, error);
  }
  std::vector<FileDescriptor> sockets;
  for (size_t i = 0; i < count; ++i) {
    FileDescriptor fd(socket(endpoint.family(), socketType(protocol), 0));
    if (!fd || !enable(fd.get(), SOL_SOCKET, SO_REUSEPORT) || !ipv6Only(fd.get(), endpoint) ||
        (protocol == Protocol::kTcp && (!enable(fd.get(), SOL_SOCKET, SO_REUSEADDR) ||
                                        !enable(fd.get(), IPPROTO_TCP, TCP_NODELAY))) ||
        bind(fd.get(), endpoint.get(), endpoint.length) != 0 ||
        (protocol == Protocol::kTcp && listen(fd.get(), kListenBacklog) != 0)) {
      return failure(endpoint, protocol, errno);
    }
    sockets.push_back(std::move(fd));
  }
  return sockets;
}

}  // namespace unbuckle::net
