// The umem of one attached interface: the daemon's UmemRegion (frames and
// item arena, see umem_region.h) registered with the kernel and shared by
// the interface's AF_XDP sockets, one per RX queue.
//
// Frame ownership. Each queue's worker gets its own slice of the frames;
// frames never change slices, and the item arena is in no slice.
//
// At every instant a frame of a slice is in exactly one of these places,
// and only its holder touches its bytes:
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
// - Completions are routed by address range (FramePool::owns): a frame from
//   outside the pool never reaches the fill ring.
// - So free + on the fill ring + being served + on the TX ring == the
//   slice's size, always; QueueCounters publishes the first, second and
//   fourth, and the frame-leak test checks the sum after many requests.
#pragma once

#include <xdp/xsk.h>

#include <cstdint>
#include <memory>

#include "afxdp/umem_region.h"
#include "result.h"

namespace unbuckle::afxdp {

class Umem {
 public:
  struct Layout {
    uint32_t fill_size = 0;    // ring sizes of every socket on this umem
    uint32_t completion_size = 0;
  };

  // Registers all of `region`, which must outlive the umem.
  static Result<std::unique_ptr<Umem>> create(const UmemRegion& region, const Layout& layout);
  // Delete every socket on the umem first.
  ~Umem();
  Umem(const Umem&) = delete;
  Umem& operator=(const Umem&) = delete;

  xsk_umem* handle() { return umem_; }
  const Layout& layout() const { return layout_; }
  uint8_t* frame(uint64_t address) { return base_ + address; }

 private:
  Umem() = default;

  Layout layout_;
  uint8_t* base_ = nullptr;
  xsk_umem* umem_ = nullptr;
  // The rings xsk_umem__create() maps; libxdp copies them to the first
  // socket, which then owns (and unmaps) them.
  xsk_ring_prod fill_{};
  xsk_ring_cons completion_{};
};

}  // namespace unbuckle::afxdp
