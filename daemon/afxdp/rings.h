// The four rings of an AF_XDP socket, named as the kernel names them, over
// libxdp's ring structs and inline helpers. We produce on the fill and TX
// rings and the kernel consumes them; the kernel produces on the RX and
// completion rings and we consume them. reserve()/peek() hand out a run of
// slots from `index`; submit()/release() publish the run to the other side.
#pragma once

#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include <cstdint>

namespace unbuckle::afxdp {

class FillRing {
 public:
  uint32_t reserve(uint32_t n, uint32_t& index) { return xsk_ring_prod__reserve(&ring_, n, &index); }
  void set(uint32_t index, uint64_t address) { *xsk_ring_prod__fill_addr(&ring_, index) = address; }
  void submit(uint32_t n) { xsk_ring_prod__submit(&ring_, n); }
  bool needsWakeup() const { return xsk_ring_prod__needs_wakeup(&ring_); }
  xsk_ring_prod* raw() { return &ring_; }

 private:
  xsk_ring_prod ring_{};
};

class TxRing {
 public:
  uint32_t reserve(uint32_t n, uint32_t& index) { return xsk_ring_prod__reserve(&ring_, n, &index); }
  void set(uint32_t index, uint64_t address, uint32_t length) {
    xdp_desc* desc = xsk_ring_prod__tx_desc(&ring_, index);
    desc->addr = address;
    desc->len = length;
    desc->options = 0;
  }
  void submit(uint32_t n) { xsk_ring_prod__submit(&ring_, n); }
  bool needsWakeup() const { return xsk_ring_prod__needs_wakeup(&ring_); }
  xsk_ring_prod* raw() { return &ring_; }

 private:
  xsk_ring_prod ring_{};
};

class RxRing {
 public:
  uint32_t peek(uint32_t n, uint32_t& index) { return xsk_ring_cons__peek(&ring_, n, &index); }
  const xdp_desc& descriptor(uint32_t index) const { return *xsk_ring_cons__rx_desc(&ring_, index); }
  void release(uint32_t n) { xsk_ring_cons__release(&ring_, n); }
  xsk_ring_cons* raw() { return &ring_; }

 private:
  xsk_ring_cons ring_{};
};

class CompletionRing {
 public:
  uint32_t peek(uint32_t n, uint32_t& index) { return xsk_ring_cons__peek(&ring_, n, &index); }
  uint64_t address(uint32_t index) const { return *xsk_ring_cons__comp_addr(&ring_, index); }
  void release(uint32_t n) { xsk_ring_cons__release(&ring_, n); }
  xsk_ring_cons* raw() { return &ring_; }

 private:
  xsk_ring_cons ring_{};
};

}  // namespace unbuckle::afxdp
