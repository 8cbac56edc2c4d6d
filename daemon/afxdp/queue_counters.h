// What one AF_XDP worker counts beyond memcached's `stats` (those go to
// its proto::WorkerStats): drops of its own and where its frames are. The
// worker is the only writer; another thread may read them at any time.
#pragma once

#include <cstdint>

#include "proto/stats.h"

namespace unbuckle::afxdp {

struct QueueCounters {
  proto::Counter rx_frames{0};
  proto::Counter rx_malformed{0};       // not an Ethernet/IP/UDP frame we can answer
  proto::Counter tx_frames{0};
  proto::Counter tx_dropped_no_frame{0};   // no free frame within the bounded wait
  proto::Counter tx_dropped_ring_full{0};  // the TX ring stayed full through the bounded wait
  // Frame accounting (umem.h): free in the pool, on the fill ring, and on
  // the TX ring awaiting completion; with a worker idle they add up to the
  // slice's size.
  proto::Counter frames_free{0};
  proto::Counter frames_in_fill{0};
  proto::Counter frames_in_tx{0};
};

}  // namespace unbuckle::afxdp
