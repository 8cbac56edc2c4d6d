// What an AF_XDP queue costs the host, and the check that it fits.
//
// Each served RX queue has a umem of its own holding only its frames
// (umem.h): 16 MiB, pinned when registered. The kernel also keeps, in the
// queue's AF_XDP pool, about 136 bytes for every frame-sized chunk of the
// umem (its xdp_buff_xsk and free-list entry; vmalloc'd), so a queue costs
// the kernel about 544 KiB whatever --memory-limit is. The item arena is
// ordinary memory, in no umem: a GET hit is copied once from the item into
// a TX frame (reply_transmitter.h), and the kernel's bookkeeping does not
// grow with the cache. tools/umem-cost.sh measures both.
#pragma once

#include <cstdint>
#include <string>

#include "result.h"
#include "unbuckle/bpf_abi.h"

namespace unbuckle::afxdp {

// A page per frame: the largest Ethernet frame on a 1500-byte MTU fits
// with room to spare, and frames never straddle pages. A received frame
// holds at most UNBUCKLE_XSK_RX_ROOM bytes; XDP passes longer requests to
// the kernel (bpf_abi.h).
inline constexpr uint32_t kFrameSize = UNBUCKLE_XSK_FRAME_SIZE;
// 16 MiB per queue: fill ring 4096 deep at most, half of the frames waiting
// there for requests and half carrying replies.
inline constexpr uint32_t kFramesPerQueue = 4096;
// Kernel bookkeeping per chunk of a umem in each pool using it, measured on
// Linux 6.18.
inline constexpr uint64_t kKernelBytesPerChunk = 136;

inline constexpr uint64_t kUmemBytesPerQueue = uint64_t{kFramesPerQueue} * kFrameSize;
inline constexpr uint64_t kKernelBytesPerQueue = uint64_t{kFramesPerQueue} * kKernelBytesPerChunk;

// Refused, with the figures, when `queues` umems and the kernel's
// bookkeeping for them exceed `available_bytes`.
Result<bool> checkUmemFits(const std::string& interface, uint32_t queues, uint64_t available_bytes);

// MemAvailable of /proc/meminfo, or the largest uint64_t if unknown.
uint64_t availableMemory();

}  // namespace unbuckle::afxdp
