// What one AF_XDP worker counts beyond memcached's `stats` (those go to
// its proto::WorkerStats): drops of its own and where its frames are. The
// worker is the only writer; another thread may read them at any time.
// `stats` shows each, summed over the workers, as afxdp_<name>.
#pragma once

#include <cstdint>

#include "proto/stats.h"

namespace unbuckle::afxdp {

// Frame accounting (umem.h): free in the pool, on the fill ring, and on the
// TX ring awaiting completion; with a worker idle they add up to its
// umem's frames.
#define UNBUCKLE_QUEUE_COUNTERS(X)                                              \
  X(rx_frames)                                                                  \
  X(rx_malformed)          /* not an Ethernet/IP/UDP frame we can answer */     \
  X(tx_frames)                                                                  \
  X(tx_buffered)           /* datagrams copied twice: past the frames lent */  \
  X(tx_dropped_no_frame)   /* no free frame within the bounded wait */          \
  X(tx_dropped_ring_full)  /* the TX ring stayed full through the bounded wait */ \
  X(frames_free)                                                                \
  X(frames_in_fill)                                                             \
  X(frames_in_tx)

struct QueueCounters {
#define UNBUCKLE_DECLARE_QUEUE_COUNTER(name) proto::Counter name{0};
  UNBUCKLE_QUEUE_COUNTERS(UNBUCKLE_DECLARE_QUEUE_COUNTER)
#undef UNBUCKLE_DECLARE_QUEUE_COUNTER
};

}  // namespace unbuckle::afxdp
