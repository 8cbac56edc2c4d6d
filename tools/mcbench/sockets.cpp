#include "mcbench/sockets.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace unbuckle::mcbench {

namespace {

constexpr int kUdpReceiveBuffer = 8 << 20;

[[noreturn]] void fail(const char* what, const Endpoint& endpoint, int error) {
  throw std::runtime_error(fmt::format("{} {}: {}", what, endpoint.str(), std::strerror(error)));
}

void setNonBlocking(int fd, bool on) {
  const int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

}  // namespace

FileDescriptor connectTcp(const Endpoint& endpoint, std::chrono::milliseconds timeout, bool non_blocking) {
  FileDescriptor fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) fail("TCP socket for", endpoint, errno);
  const sockaddr_in address = endpoint.sockaddr();
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    if (errno != EINPROGRESS) fail("connecting to", endpoint, errno);
    pollfd waiting{fd.get(), POLLOUT, 0};
    int ready;
    do {
      ready = poll(&waiting, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) fail("connecting to", endpoint, ETIMEDOUT);
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) fail("connecting to", endpoint, error);
  }
  const int one = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!non_blocking) setNonBlocking(fd.get(), false);
  return fd;
}

FileDescriptor connectUdp(const Endpoint& endpoint, std::chrono::microseconds receive_timeout) {
  FileDescriptor fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) fail("UDP socket for", endpoint, errno);
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &kUdpReceiveBuffer, sizeof(kUdpReceiveBuffer));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(receive_timeout.count() / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(receive_timeout.count() % 1000000);
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const sockaddr_in address = endpoint.sockaddr();
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    fail("UDP connect to", endpoint, errno);
  }
  return fd;
}

}  // namespace unbuckle::mcbench
