// The AF_XDP side of the daemon, one owner for all of it: the interface
// datapaths (each with its steering program, sockets, umems and workers),
// attached at start-up or at run time and detached again while the other
// interfaces serve. The store is not in any umem (umem_cost.h), so it
// outlives every attach and detach.
//
// attach(), detach() and status() may be called from any thread. One attach
// or detach runs at a time. Readers (status(), xdpCounter() from `stats`)
// wait only while a datapath joins or leaves the list, never while one is
// set up or its workers stop; the list's lock is never held while calling
// the stats registry, which calls xdpCounter() under its own lock.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "afxdp/interface_datapath.h"
#include "proto/engine.h"
#include "proto/stats.h"
#include "result.h"
#include "unbuckle/bpf_abi.h"
#include "udp/allow_list.h"
#include "xdp/allow_list_map_fds.h"
#include "xdp/kernel_cache_map_fds.h"

namespace unbuckle::afxdp {

struct InterfaceStatus {
  std::string interface;
  std::string driver;
  std::string xdp_mode;    // native | skb
  std::string bind_mode;   // copy | zero-copy
  uint32_t queues = 0;
  std::vector<int> worker_cpus;   // per queue: the CPU its worker last ran on (-1: not yet)
  uint64_t umem_bytes = 0;        // pinned frame memory of its umems
  uint64_t rx_frames = 0;         // requests received through AF_XDP
  uint64_t tx_frames = 0;         // reply datagrams sent
  uint64_t tx_dropped = 0;        // reply datagrams dropped (no frame, TX ring full)
  std::string summary;            // attach()'s line
};

class AfxdpBackend {
 public:
  // Datapaths serve through `engine` and count in `stats`, which outlive the
  // backend. `allow` and `allow_maps`: the allow list the workers and every
  // attached program share; `kernel_cache`: the kernel cache's maps, unset
  // with --kernel-cache off. They override DatapathOptions' fields of the
  // same names.
  AfxdpBackend(proto::Engine& engine, proto::StatsRegistry& stats, std::shared_ptr<const udp::AllowList> allow,
               xdp::AllowListMapFds allow_maps, std::optional<xdp::KernelCacheMapFds> kernel_cache);
  // Detaches every interface.
  ~AfxdpBackend();
  AfxdpBackend(const AfxdpBackend&) = delete;
  AfxdpBackend& operator=(const AfxdpBackend&) = delete;

  // Attaches and starts serving; returns the one-line summary, or why not
  // (then nothing is left behind: no program, socket, pin or umem).
  Result<std::string> attach(const DatapathOptions& options);
  // Stops the interface's workers, closes its sockets, detaches its program
  // and removes its pins; returns a line saying so, or "not attached".
  Result<std::string> detach(const std::string& interface);
  // Detaches every interface, last attached first.
  void detachAll();

  std::vector<InterfaceStatus> status() const;
  // An XDP counter (enum unbuckle_xdp_counter) summed over every interface
  // ever attached: those detached keep counting what they counted.
  uint64_t xdpCounter(uint32_t index) const;

 private:
  proto::Engine& engine_;
  proto::StatsRegistry& stats_;
  const std::shared_ptr<const udp::AllowList> allow_;
  const xdp::AllowListMapFds allow_maps_;
  const std::optional<xdp::KernelCacheMapFds> kernel_cache_;

  std::mutex change_mutex_;   // one attach or detach at a time
  // The workers' stats blocks of detached datapaths, for the next ones, so
  // that memcached's counters keep what they counted and blocks do not pile
  // up. Under change_mutex_.
  std::vector<proto::WorkerStats*> spare_stats_;

  mutable std::shared_mutex list_mutex_;   // guards the two below
  std::vector<std::unique_ptr<InterfaceDatapath>> datapaths_;
  std::array<uint64_t, UNBUCKLE_XDP_COUNTER_MAX> detached_counters_{};
};

}  // namespace unbuckle::afxdp
