// The umem of one served RX queue: kFramesPerQueue frames of its own
// (umem_cost.h), registered with the kernel for that queue's AF_XDP socket
// alone. One umem per queue keeps the kernel's bookkeeping per queue at the
// size of the queue's frames; a umem shared by several queues costs each of
// them bookkeeping for all of it.
//
// Frame ownership. At every instant a frame is in exactly one of these
// places, and only its holder touches its bytes:
//
//   FramePool (free) ──fill ring──► kernel ──RX ring──► worker: a request
//        ▲                                                    │ served
//        └───────────────────── FramePool::give ◄─────────────┘
//   FramePool ──take, write a reply──► worker ──TX ring──► kernel
//        ▲                                                    │ sent
//        └───────────── completion ring (if FramePool::owns) ◄┘
//
// - The worker writes a frame only between take() and the TX ring, and
//   reads an RX frame only until it gives it back; the kernel owns whatever
//   is on the fill and TX rings.
// - So free + on the fill ring + being served + on the TX ring == the
//   umem's frames, always; QueueCounters publishes the first, second and
//   fourth, and the frame-leak test checks the sum after many requests.
#pragma once

#include <xdp/xsk.h>

#include <cstdint>
#include <memory>

#include "afxdp/umem_cost.h"
#include "result.h"
#include "store/mapped_region.h"

namespace unbuckle::afxdp {

class Umem {
 public:
  struct Layout {
    uint32_t fill_size = 0;    // ring sizes of the socket on this umem
    uint32_t completion_size = 0;
  };

  // Maps kFramesPerQueue frames and registers them (which pins them).
  static Result<std::unique_ptr<Umem>> create(const Layout& layout);
  // Delete the socket on the umem first.
  ~Umem();
  Umem(const Umem&) = delete;
  Umem& operator=(const Umem&) = delete;

  xsk_umem* handle() { return umem_; }
  const Layout& layout() const { return layout_; }
  uint32_t frames() const { return kFramesPerQueue; }
  uint8_t* frame(uint64_t address) { return base_ + address; }

 private:
  Umem(const Layout& layout, store::MappedRegion memory);

  Layout layout_;
  store::MappedRegion memory_;
  uint8_t* base_;
  xsk_umem* umem_ = nullptr;
  // The rings xsk_umem__create() maps; libxdp copies them to the socket,
  // which then owns (and unmaps) them.
  xsk_ring_prod fill_{};
  xsk_ring_cons completion_{};
};

}  // namespace unbuckle::afxdp
