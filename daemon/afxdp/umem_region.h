// The memory behind the daemon's umems: one mapping that holds the frames of
// every served RX queue of every interface, then the store's item arena.
//
//   | interface 0: queue 0, queue 1, ... | interface 1: ... | item arena |
//     ^ kFramesPerQueue frames each, handed to that queue's FramePool
//
// Each interface registers the whole mapping as its umem (the kernel lets
// one region back several umems), so the items a GET hit sends lie in the
// umem of whichever interface serves it. The arena is never on a ring: only
// frame slices enter a FramePool, and completions are routed by slice.
//
// Registering a umem pins every page of it: the arena is resident and
// locked at its full size from start-up, as memcached's with -k. The kernel
// also keeps per served queue about 136 bytes for every 4 KiB of the umem
// (34 MiB per GiB per queue, vmalloc'd; tools/umem-cost.sh measures it), so
// create() refuses a region that would not fit in the memory available.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "result.h"
#include "store/mapped_region.h"
#include "unbuckle/bpf_abi.h"

namespace unbuckle::afxdp {

class UmemRegion {
 public:
  // A page per frame: the largest Ethernet frame on a 1500-byte MTU fits
  // with room to spare, and frames never straddle pages. A received frame
  // holds at most UNBUCKLE_XSK_RX_ROOM bytes; XDP passes longer requests to
  // the kernel (bpf_abi.h).
  static constexpr uint32_t kFrameSize = UNBUCKLE_XSK_FRAME_SIZE;
  // 16 MiB per queue: fill ring 4096 deep at most, half of them waiting
  // there for requests and half carrying replies.
  static constexpr uint32_t kFramesPerQueue = 4096;

  // Kernel bookkeeping per served queue for each frame-sized chunk of the
  // umem (its xdp_buff_xsk and free list entry), measured on Linux 6.18.
  static constexpr uint64_t kKernelBytesPerChunk = 136;

  // `queues[i]`: the RX queues served on interface i. The arena is rounded
  // up to whole frames (the kernel takes a umem in whole chunks). Refused
  // when the mapping and the kernel's bookkeeping exceed `available_bytes`.
  static Result<std::unique_ptr<UmemRegion>> create(const std::vector<uint32_t>& queues, size_t arena_bytes,
                                                    uint64_t available_bytes);
  // MemAvailable of /proc/meminfo, or the largest uint64_t if unknown.
  static uint64_t availableMemory();

  // What each interface registers.
  std::span<std::byte> bytes() const { return mapping_.bytes(); }
  // What the store is lent.
  std::span<std::byte> arena() const { return bytes().subspan(frame_bytes_, arena_bytes_); }
  // The umem address of the first frame of `queue` on interface `interface`.
  uint64_t firstFrame(size_t interface, uint32_t queue) const {
    return (uint64_t{first_queue_[interface]} + queue) * kFramesPerQueue * kFrameSize;
  }
  uint32_t queues(size_t interface) const { return queues_[interface]; }

 private:
  UmemRegion(const std::vector<uint32_t>& queues, size_t frame_bytes, size_t arena_bytes);

  std::vector<uint32_t> queues_;
  std::vector<uint32_t> first_queue_;   // running sum of queues_
  size_t frame_bytes_;
  size_t arena_bytes_;
  store::MappedRegion mapping_;
};

}  // namespace unbuckle::afxdp
