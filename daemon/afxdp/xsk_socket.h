// One AF_XDP socket, bound to one RX queue of an interface, on a shared
// umem, with its own four rings. The XDP program finds it through the
// XSKMAP slot of its queue.
#pragma once

#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include <cstdint>
#include <memory>
#include <string>

#include "afxdp/rings.h"
#include "afxdp/umem.h"
#include "result.h"

namespace unbuckle::afxdp {

// What the kernel counts of one AF_XDP socket (getsockopt XDP_STATISTICS):
// frames it dropped before the worker saw them. `stats` shows each, summed
// over the queues, as afxdp_kernel_<name>; the names are the fields of
// struct xdp_statistics.
#define UNBUCKLE_XSK_KERNEL_COUNTERS(X)                                                   \
  X(rx_dropped)                /* longer than a umem frame holds, or no frame free */   \
  X(rx_invalid_descs)          /* a fill ring entry outside the umem */                 \
  X(rx_ring_full)              /* the RX ring was full: the worker fell behind */       \
  X(rx_fill_ring_empty_descs)  /* no frame on the fill ring for a packet */             \
  X(tx_invalid_descs)          /* a TX descriptor the kernel refused */                 \
  X(tx_ring_empty_descs)       /* a TX kick found the ring empty (not a drop) */

struct SocketOptions {
  uint32_t rx_size = 2048;
  uint32_t tx_size = 2048;
  bool zero_copy = false;   // bind flag of the umem's first socket; the others share its mode
  bool busy_poll = false;
};

class XskSocket {
 public:
  // The socket, or why not with the errno that refused it (EBUSY: the
  // queue is still held by a socket being released; EOPNOTSUPP and
  // friends: zero-copy refused).
  static Result<std::unique_ptr<XskSocket>> create(Umem& umem, const std::string& interface, uint32_t queue,
                                                   const SocketOptions& options);
  ~XskSocket();
  XskSocket(const XskSocket&) = delete;
  XskSocket& operator=(const XskSocket&) = delete;

  int fd() const { return xsk_socket__fd(xsk_); }
  uint32_t queue() const { return queue_; }
  bool zeroCopy() const { return zero_copy_; }

  // Puts the socket in the XSKMAP slot of its queue; 0 or a negative errno.
  int insertInto(int xsks_map_fd) { return xsk_socket__update_xskmap(xsk_, xsks_map_fd); }

  // Lets the kernel transmit what is on the TX ring (copy mode sends at
  // most a small batch per call: -EAGAIN means call again). 0 or -errno.
  int kickTx();
  // Lets the kernel (busy-poll, or a driver that asked) refill RX.
  void wakeRx();
  // The kernel's counters of this socket; all zero if it cannot read them.
  // Safe from any thread.
  xdp_statistics statistics() const;

  RxRing& rx() { return rx_; }
  TxRing& tx() { return tx_; }
  FillRing& fill() { return fill_; }
  CompletionRing& completion() { return completion_; }

 private:
  XskSocket() = default;

  xsk_socket* xsk_ = nullptr;
  uint32_t queue_ = 0;
  bool zero_copy_ = false;
  RxRing rx_;
  TxRing tx_;
  FillRing fill_;
  CompletionRing completion_;
};

}  // namespace unbuckle::afxdp
