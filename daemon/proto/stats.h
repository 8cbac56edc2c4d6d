// Counters behind memcached's `stats`. Each worker thread owns one
// WorkerStats and is its only writer (relaxed atomics so `stats` can read
// them from another thread); StatsRegistry folds them together.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <vector>

namespace unbuckle::proto {

using Counter = std::atomic<uint64_t>;

inline void bump(Counter& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct WorkerStats {
  // Written by the datapaths.
  Counter bytes_read{0};
  Counter bytes_written{0};
  Counter udp_datagrams_in{0};
  Counter udp_datagrams_out{0};
  Counter udp_dropped_short{0};        // <= 8 bytes
  Counter udp_dropped_multipacket{0};  // total != 1
  Counter udp_dropped_incomplete{0};   // command or data block cut off by the datagram end
  Counter udp_reply_truncated{0};      // reply larger than 65535 datagrams
  // Command counters (written by the engine) follow; see stats.cpp for the
  // mapping onto memcached's field names.
  Counter cmd_get{0};
  Counter cmd_set{0};
  Counter cmd_flush{0};
  Counter cmd_touch{0};
  Counter cmd_meta{0};
  Counter get_hits{0};
  Counter get_misses{0};
  Counter get_expired{0};
  Counter get_flushed{0};
  Counter delete_hits{0};
  Counter delete_misses{0};
  Counter incr_hits{0};
  Counter incr_misses{0};
  Counter decr_hits{0};
  Counter decr_misses{0};
  Counter cas_hits{0};
  Counter cas_misses{0};
  Counter cas_badval{0};
  Counter touch_hits{0};
  Counter touch_misses{0};
  Counter store_too_large{0};
  Counter store_no_memory{0};
};

// Process-wide connection counters, written by the TCP datapath.
struct ConnectionStats {
  std::atomic<uint64_t> curr_connections{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> conn_yields{0};
  std::atomic<uint64_t> listen_disabled_num{0};
};

class StatsRegistry {
 public:
  StatsRegistry();
  // One block per worker; stable address for the registry's lifetime.
  WorkerStats& addWorker();
  ConnectionStats& connections() { return connections_; }
  time_t started() const { return started_; }
  // Sum of every worker's counter `field`.
  uint64_t sum(Counter WorkerStats::*field) const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<WorkerStats>> workers_;
  ConnectionStats connections_;
  time_t started_;
};

}  // namespace unbuckle::proto
