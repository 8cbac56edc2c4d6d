#include "afxdp/afxdp_backend.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "afxdp/umem_cost.h"

namespace unbuckle::afxdp {
namespace {

// Adds the per-CPU XDP counters of the map `fd` to `totals`.
void addCounters(int fd, std::array<uint64_t, UNBUCKLE_XDP_COUNTER_MAX>& totals) {
  std::vector<uint64_t> per_cpu(static_cast<size_t>(libbpf_num_possible_cpus()));
  for (uint32_t index = 0; index < UNBUCKLE_XDP_COUNTER_MAX; ++index) {
    if (bpf_map_lookup_elem(fd, &index, per_cpu.data()) == 0) {
      for (const uint64_t value : per_cpu) totals[index] += value;
    }
  }
}

}  // namespace

AfxdpBackend::AfxdpBackend(proto::Engine& engine, proto::StatsRegistry& stats,
                           std::shared_ptr<const udp::AllowList> allow, xdp::AllowListMapFds allow_maps,
                           std::optional<xdp::KernelCacheMapFds> kernel_cache)
    : engine_(engine),
      stats_(stats),
      allow_(std::move(allow)),
      allow_maps_(allow_maps),
      kernel_cache_(kernel_cache) {}

AfxdpBackend::~AfxdpBackend() { detachAll(); }

Result<std::string> AfxdpBackend::attach(const DatapathOptions& options) {
  std::lock_guard change(change_mutex_);
  // The list changes only under change_mutex_: reading it needs no more.
  for (const auto& datapath : datapaths_) {
    if (datapath->interface() == options.interface) {
      return Error{options.interface + " is already attached (detach it first to attach it with other options)"};
    }
  }
  DatapathOptions shared = options;
  shared.kernel_cache = kernel_cache_;
  shared.allow = allow_;
  shared.allow_maps = allow_maps_;
  auto created = InterfaceDatapath::create(shared, engine_, stats_, &spare_stats_);
  if (!created.ok()) {
    return created.failure();
  }
  std::unique_ptr<InterfaceDatapath> datapath = std::move(created.value());
  datapath->start();
  std::string summary = datapath->summary();
  std::unique_lock lock(list_mutex_);
  datapaths_.push_back(std::move(datapath));
  return summary;
}

Result<std::string> AfxdpBackend::detach(const std::string& interface) {
  std::lock_guard change(change_mutex_);
  const auto found = std::find_if(datapaths_.begin(), datapaths_.end(),
                                  [&](const auto& datapath) { return datapath->interface() == interface; });
  if (found == datapaths_.end()) {
    return Error{interface + " is not attached"};
  }
  // Joining the workers may wait for a `stats` that reads xdpCounter():
  // done before taking list_mutex_.
  (*found)->stop();
  const std::vector<proto::WorkerStats*> worker_stats = (*found)->workerStats();
  // The counters map outlives the program through this descriptor, so
  // whatever XDP counts until its detach is kept.
  const int counters_fd = dup((*found)->attachment().countersMapFd());
  if (counters_fd < 0) {
    spdlog::warn("{}: cannot keep its XDP counters after the detach: {}", interface, std::strerror(errno));
  }
  {
    std::unique_lock lock(list_mutex_);
    std::unique_ptr<InterfaceDatapath> leaving = std::move(*found);
    datapaths_.erase(found);
    leaving.reset();   // closes the sockets, detaches the program, removes the pins
    if (counters_fd >= 0) {
      addCounters(counters_fd, detached_counters_);
    }
  }
  if (counters_fd >= 0) {
    close(counters_fd);
  }
  spare_stats_.insert(spare_stats_.end(), worker_stats.begin(), worker_stats.end());
  return interface + ": detached (no XDP program, AF_XDP socket or pin left)";
}

void AfxdpBackend::detachAll() {
  while (true) {
    std::string last;
    {
      std::shared_lock lock(list_mutex_);
      if (datapaths_.empty()) return;
      last = datapaths_.back()->interface();
    }
    detach(last);
  }
}

std::vector<InterfaceStatus> AfxdpBackend::status() const {
  std::shared_lock lock(list_mutex_);
  std::vector<InterfaceStatus> all;
  for (const auto& datapath : datapaths_) {
    InterfaceStatus s;
    s.interface = datapath->interface();
    s.driver = datapath->driver();
    s.xdp_mode = std::string(datapath->attachment().modeName());
    s.bind_mode = datapath->zeroCopy() ? "zero-copy" : "copy";
    s.queues = static_cast<uint32_t>(datapath->queues());
    s.umem_bytes = s.queues * kUmemBytesPerQueue;
    for (size_t q = 0; q < datapath->queues(); ++q) {
      const QueueWorker& worker = datapath->worker(q);
      const QueueCounters& c = worker.counters();
      s.worker_cpus.push_back(worker.cpu());
      s.rx_frames += c.rx_frames.load(std::memory_order_relaxed);
      s.tx_frames += c.tx_frames.load(std::memory_order_relaxed);
      s.tx_dropped += c.tx_dropped_no_frame.load(std::memory_order_relaxed) +
                      c.tx_dropped_ring_full.load(std::memory_order_relaxed);
    }
    s.summary = datapath->summary();
    all.push_back(std::move(s));
  }
  return all;
}

uint64_t AfxdpBackend::xdpCounter(uint32_t index) const {
  std::shared_lock lock(list_mutex_);
  uint64_t total = detached_counters_[index];
  for (const auto& datapath : datapaths_) {
    total += datapath->attachment().counter(index);
  }
  return total;
}

}  // namespace unbuckle::afxdp
