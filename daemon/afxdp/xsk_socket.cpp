#include "afxdp/xsk_socket.h"

#include <errno.h>
#include <sys/socket.h>


namespace unbuckle::afxdp {
namespace {

// Busy polling: the socket polls the queue's NAPI from recvfrom()/sendto()
// instead of waiting for its interrupt, a budget of one batch at a time.
constexpr int kBusyPollMicroseconds = 20;
constexpr int kBusyPollBudget = 64;

bool setOption(int fd, int name, int value) {
  return setsockopt(fd, SOL_SOCKET, name, &value, sizeof value) == 0;
}

}  // namespace

Result<std::unique_ptr<XskSocket>> XskSocket::create(Umem& umem, const std::string& interface, uint32_t queue,
                                                     const SocketOptions& options) {
  std::unique_ptr<XskSocket> self(new XskSocket);
  self->queue_ = queue;
  self->zero_copy_ = options.zero_copy;
  xsk_socket_config config{};
  config.rx_size = options.rx_size;
  config.tx_size = options.tx_size;
  // Our own program is attached (xdp/xdp_attachment.h): libxdp must not load its default one.
  config.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  config.bind_flags = XDP_USE_NEED_WAKEUP | (options.zero_copy ? XDP_ZEROCOPY : XDP_COPY);
  // Every socket passes rings of its own, distinct from the umem's: libxdp
  // then copies the umem's rings to the first socket, and on a failed bind
  // it unmaps them, so a retry can start from a fresh umem without leaks.
  const int err = xsk_socket__create_shared(&self->xsk_, interface.c_str(), queue, umem.handle(),
                                            self->rx_.raw(), self->tx_.raw(), self->fill_.raw(),
                                            self->completion_.raw(), &config);
  if (err) {
    self->xsk_ = nullptr;
    return systemError("cannot bind an AF_XDP socket to " + interface + " queue " + std::to_string(queue) +
                           (options.zero_copy ? " (zero-copy)" : " (copy)"),
                       -err);
  }
  if (options.busy_poll &&
      !(setOption(self->fd(), SO_PREFER_BUSY_POLL, 1) &&
        setOption(self->fd(), SO_BUSY_POLL, kBusyPollMicroseconds) &&
        setOption(self->fd(), SO_BUSY_POLL_BUDGET, kBusyPollBudget))) {
    return systemError("cannot enable busy polling on " + interface + " queue " + std::to_string(queue), errno);
  }
  return self;
}

XskSocket::~XskSocket() {
  if (xsk_) {
    xsk_socket__delete(xsk_);
  }
}

int XskSocket::kickTx() {
  if (sendto(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) {
    return 0;
  }
  return -errno;
}

xdp_statistics XskSocket::statistics() const {
  xdp_statistics statistics{};
  socklen_t length = sizeof statistics;
  if (getsockopt(fd(), SOL_XDP, XDP_STATISTICS, &statistics, &length) != 0) {
    return xdp_statistics{};
  }
  return statistics;
}

void XskSocket::wakeRx() { recvfrom(fd(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr); }

}  // namespace unbuckle::afxdp
