#include "kernel_cache/kernel_cache_stats.h"

#include "unbuckle/bpf_abi.h"

namespace unbuckle::kernel_cache {
namespace {

void set(proto::Counter& counter, uint64_t value) { counter.store(value, std::memory_order_relaxed); }

}  // namespace

KernelCacheStats::KernelCacheStats(proto::StatsRegistry& registry, const Mirror& mirror, uint32_t capacity,
                                   XdpCounterReader xdp_counter)
    : registry_(registry),
      mirror_(mirror),
      capacity_(capacity),
      xdp_counter_(std::move(xdp_counter)),
      xdp_hits_(registry.addWorker()) {
  refresher_id_ = registry_.addRefresher([this] { refresh(); });
  source_id_ = registry_.addSource([this](auto& out) { addLines(out); });
}

KernelCacheStats::~KernelCacheStats() {
  registry_.removeSource(source_id_);
  registry_.removeRefresher(refresher_id_);
}

// Totals since start-up; the registry subtracts what they were at the last
// `stats reset`.
void KernelCacheStats::refresh() {
  const uint64_t hits = xdp_counter_(UNBUCKLE_XDP_kc_hit);
  // One single-key get per datagram, one datagram per reply.
  set(xdp_hits_.cmd_get, hits);
  set(xdp_hits_.get_hits, hits);
  set(xdp_hits_.udp_datagrams_in, hits);
  set(xdp_hits_.udp_datagrams_out, hits);
  // UDP payloads, the memcached frame header included, as the daemon counts.
  set(xdp_hits_.bytes_written, xdp_counter_(UNBUCKLE_XDP_kc_hit_bytes));
  for (size_t id = 1; id < proto::kMaxSlabClasses; ++id) {
    const auto class_id = static_cast<uint8_t>(id);
    set(xdp_hits_.slabClass(class_id).get_hits, mirror_.classHits(class_id));
    set(xdp_hits_.slabClass(class_id).temp_lru_hits, mirror_.classTempHits(class_id));
  }
}

void KernelCacheStats::addLines(std::vector<std::pair<std::string, uint64_t>>& out) const {
  const std::pair<const char*, uint32_t> xdp[] = {
      {"kernel_cache_hits", UNBUCKLE_XDP_kc_hit},
      {"kernel_cache_hit_bytes", UNBUCKLE_XDP_kc_hit_bytes},
      {"kernel_cache_miss_absent", UNBUCKLE_XDP_kc_miss_absent},
      {"kernel_cache_miss_expired", UNBUCKLE_XDP_kc_miss_expired},
      {"kernel_cache_miss_flushed", UNBUCKLE_XDP_kc_miss_flushed},
      {"kernel_cache_miss_busy", UNBUCKLE_XDP_kc_miss_busy},
      {"kernel_cache_fallback_too_big", UNBUCKLE_XDP_kc_fallback_too_big},
      {"kernel_cache_fallback_not_plain_get", UNBUCKLE_XDP_kc_fallback_not_plain_get},
      {"kernel_cache_fallback_paused", UNBUCKLE_XDP_kc_fallback_paused}};
  for (const auto& [name, index] : xdp) out.emplace_back(name, xdp_counter_(index));
  const MirrorCounters mirror = mirror_.counters();
  out.emplace_back("kernel_cache_capacity", capacity_);
  out.emplace_back("kernel_cache_entries", mirror.entries);
  out.emplace_back("kernel_cache_bytes", mirror.bytes);
  out.emplace_back("kernel_cache_admitted", mirror.admitted);
  out.emplace_back("kernel_cache_refreshed", mirror.refreshed);
  out.emplace_back("kernel_cache_invalidated", mirror.invalidated);
  out.emplace_back("kernel_cache_not_admitted_too_big", mirror.not_admitted_too_big);
}

}  // namespace unbuckle::kernel_cache
