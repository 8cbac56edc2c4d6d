// The kernel cache in `stats`. A GET hit XDP answered counts as a daemon hit
// does: cmd_get, get_hits, bytes_written, udp_datagrams_in and _out from the
// XDP counters at each `stats` (a hit XDP dropped over its source's reply
// budget counts in udp_dropped_over_budget), and the per-slab get_hits as the mirror
// folds the hits into their items (within a second: Mirror::sweepHits),
// hits_to_temp for those of items in the temporary LRU.
// They live in a WorkerStats block of their own, so `stats reset` covers
// them. The kernel_cache_* lines say what XDP did with each plain get and
// what the mirror holds; like the xdp_* lines they count from start-up.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "kernel_cache/mirror.h"
#include "proto/stats.h"

namespace unbuckle::kernel_cache {

// An XDP counter (enum unbuckle_xdp_counter) summed over every attached
// interface.
using XdpCounterReader = std::function<uint64_t(uint32_t index)>;

class KernelCacheStats {
 public:
  // Joins `registry` until destroyed; `capacity` is --kernel-cache-entries.
  KernelCacheStats(proto::StatsRegistry& registry, const Mirror& mirror, uint32_t capacity,
                   XdpCounterReader xdp_counter);
  ~KernelCacheStats();
  KernelCacheStats(const KernelCacheStats&) = delete;
  KernelCacheStats& operator=(const KernelCacheStats&) = delete;

 private:
  void refresh();
  void addLines(std::vector<std::pair<std::string, uint64_t>>& out) const;

  proto::StatsRegistry& registry_;
  const Mirror& mirror_;
  const uint32_t capacity_;
  const XdpCounterReader xdp_counter_;
  proto::WorkerStats& xdp_hits_;
  int refresher_id_ = -1;
  int source_id_ = -1;
};

}  // namespace unbuckle::kernel_cache
