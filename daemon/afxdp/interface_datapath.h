// The AF_XDP datapath of one interface: the steering program attached
// (xdp/xdp_attachment.h), one AF_XDP socket per served RX queue in its
// queue's XSKMAP slot, each on a umem of its own (umem.h), one QueueWorker
// thread per socket, and a thread logging what happens to the link
// (link_watch.h). Everything is set up by create() and torn down in
// reverse order by the destructor, so a stop leaves no program, no socket,
// no pins and (on lo) the sysctls as found. The store is not in any umem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "afxdp/link_watch.h"
#include "afxdp/loopback_routing.h"
#include "afxdp/queue_worker.h"
#include "afxdp/umem.h"
#include "afxdp/xsk_socket.h"
#include "config/cidr.h"
#include "config/daemon_config.h"
#include "proto/engine.h"
#include "proto/stats.h"
#include "result.h"
#include "udp/allow_list.h"
#include "xdp/xdp_attachment.h"

namespace unbuckle::afxdp {

struct DatapathOptions {
  std::string interface;
  uint16_t port = 11211;
  config::XdpMode xdp_mode = config::XdpMode::kAuto;
  config::ZeroCopy zero_copy = config::ZeroCopy::kAuto;
  bool busy_poll = false;
  std::vector<uint32_t> cpus;   // worker of queue i on cpus[i % size]; empty: not pinned
  uint32_t queues = 0;   // serve RX queues 0..queues-1; 0: every RX queue
  std::string pin_root = "/sys/fs/bpf/unbuckle-xdp";
  // Sources that get answers: the daemon's list, which it may replace while
  // serving (the XDP side of it is `allow_maps`).
  std::shared_ptr<const udp::AllowList> allow = std::make_shared<const udp::AllowList>(config::defaultAllow());
  size_t max_item_size = size_t{1} << 20;
  std::optional<uint32_t> fixed_reply_bytes;   // --debug-fixed-reply
  // --udp-reply-rate, --udp-reply-burst: each worker's budget per source,
  // and XDP's for kernel-cache hits.
  udp::ReplyBudgetConfig reply_budget;
  bool udp_admin = false;                      // --udp-admin
  bool udp_coalesce_replies = false;           // --udp-coalesce-replies
  std::optional<xdp::KernelCacheMapFds> kernel_cache = std::nullopt;   // unset: --kernel-cache off
  std::optional<xdp::AllowListMapFds> allow_maps = std::nullopt;   // unset: XDP drops every source
};

// The options for `interface` from the daemon's settings (the flags of the
// same names); the allow list is the daemon's to share (AfxdpBackend).
DatapathOptions datapathOptions(const config::DaemonConfig& config, const std::string& interface);

// How many RX queues `options` serves on its interface (options.queues, or
// every one), or why it cannot. A missing interface counts one queue;
// create() then names the problem.
Result<uint32_t> servedQueues(const DatapathOptions& options);

class InterfaceDatapath {
 public:
  // Per queue: RX, TX and completion rings of 2048; the fill ring twice
  // the RX ring.
  static constexpr uint32_t kRingSize = 2048;
  static constexpr uint32_t kFillRingSize = 2 * kRingSize;

  // Attaches and binds the served queues; the workers start with start().
  // Each worker counts in a block of `spare_stats` (taken from its back) or,
  // when none is left, a new one of `stats`. On failure nothing is left
  // behind and `spare_stats` is as it was.
  static Result<std::unique_ptr<InterfaceDatapath>> create(const DatapathOptions& options, proto::Engine& engine,
                                                           proto::StatsRegistry& stats,
                                                           std::vector<proto::WorkerStats*>* spare_stats = nullptr);
  ~InterfaceDatapath();
  InterfaceDatapath(const InterfaceDatapath&) = delete;
  InterfaceDatapath& operator=(const InterfaceDatapath&) = delete;

  void start();
  // Takes the datapath's lines out of `stats`, stops and joins the workers,
  // then logs each queue's counters. Idempotent. Afterwards the datapath
  // calls nothing of the engine or the stats registry.
  void stop();

  // The start-up line: interface, driver, XDP mode, copy or zero-copy (and
  // why), queues, port, busy polling.
  const std::string& summary() const { return summary_; }
  const std::string& interface() const { return options_.interface; }
  const DatapathOptions& options() const { return options_; }
  std::string driver() const { return driver_; }
  bool zeroCopy() const { return sockets_.front()->zeroCopy(); }
  size_t queues() const { return workers_.size(); }
  const QueueWorker& worker(size_t index) const { return *workers_[index]; }
  const xdp::XdpAttachment& attachment() const { return *attachment_; }
  // The workers' stats blocks, to reuse once the datapath is gone.
  const std::vector<proto::WorkerStats*>& workerStats() const { return worker_stats_; }

 private:
  InterfaceDatapath() = default;
  // Creates a umem and binds a socket on it for each queue, retrying while
  // a queue is still held by a socket being released; `zero_copy_note` says
  // why zero-copy was not used.
  Result<bool> bindQueues(uint32_t queues, std::string& zero_copy_note);

  // The xdp_* and afxdp_* lines of `stats`.
  void addStats(std::vector<std::pair<std::string, uint64_t>>& out) const;

  DatapathOptions options_;
  proto::StatsRegistry* stats_ = nullptr;
  int stats_source_ = -1;
  std::string fixed_reply_;   // the --debug-fixed-reply answer
  std::string driver_;
  std::string summary_;
  std::vector<proto::WorkerStats*> worker_stats_;
  int stop_fd_ = -1;
  // Declared in set-up order: destroyed in reverse.
  std::unique_ptr<LoopbackRouting> loopback_;
  std::unique_ptr<xdp::XdpAttachment> attachment_;
  std::unique_ptr<LinkWatch> link_watch_;   // unset if rtnetlink refused; its thread is the last of threads_
  std::vector<std::unique_ptr<Umem>> umems_;           // umems_[i] under sockets_[i]
  std::vector<std::unique_ptr<XskSocket>> sockets_;
  std::vector<std::unique_ptr<QueueWorker>> workers_;
  std::vector<std::jthread> threads_;
};

}  // namespace unbuckle::afxdp
