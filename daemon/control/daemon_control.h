// What unbucklectl may ask of the running daemon, as an interface: the
// control socket (control_server.h) parses requests and calls these; the
// daemon implements them over its datapaths, store and stats
// (running_daemon.h). Each call runs on the control thread, one at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/cidr.h"
#include "config/daemon_config.h"
#include "result.h"

namespace unbuckle::control {

// `attach IFACE [--queues N] [--xdp-mode M] [--zerocopy M]`; an option not
// given takes the daemon's setting of the same name.
struct AttachRequest {
  std::string interface;
  std::optional<uint32_t> queues;   // serve RX queues 0..N-1
  std::optional<config::XdpMode> xdp_mode;
  std::optional<config::ZeroCopy> zero_copy;

  bool operator==(const AttachRequest&) const = default;
};

// One attached interface as `status` shows it.
struct InterfaceStatus {
  std::string interface;
  std::string driver;               // "veth", "mlx5_core", "loopback"
  std::string xdp_mode;             // "native" or "skb"
  std::string bind_mode;            // "copy" or "zero-copy"
  std::vector<uint32_t> queues;     // RX queues served, one worker each
  std::vector<int> worker_cpus;     // CPU each queue's worker last ran on; -1: not yet
};

struct KernelCacheFill {
  uint64_t entries = 0;    // items the BPF map holds now
  uint64_t capacity = 0;   // --kernel-cache-entries
};

struct DaemonStatus {
  std::string version;
  int64_t pid = 0;
  uint64_t uptime_seconds = 0;
  std::string backend;              // "xdp" or "socket"
  uint64_t memory_limit = 0;        // bytes (--memory-limit)
  uint64_t memory_used = 0;         // bytes held by items (memcached's `bytes`)
  uint64_t items = 0;               // memcached's curr_items
  std::optional<KernelCacheFill> kernel_cache;   // unset: no kernel cache
  std::vector<InterfaceStatus> interfaces;
};

class DaemonControl {
 public:
  virtual ~DaemonControl() = default;
  // Attaches and serves an interface; the text says what was attached
  // (the start-up summary line). Error: why not ("no such interface eth9",
  // "eth1 is already attached").
  virtual Result<std::string> attach(const AttachRequest& request) = 0;
  virtual Result<std::string> detach(const std::string& interface) = 0;
  virtual DaemonStatus status() = 0;
  // memcached's `stats` lines ("STAT name value"), or with `json` one JSON
  // object of the same fields.
  virtual std::string stats(bool json) = 0;
  // Sets spdlog's level; the text says the change ("log level debug, was info").
  virtual Result<std::string> setLogLevel(const std::string& level) = 0;
  // The allow list in effect, one network a line ("10.0.0.0/8\n").
  virtual std::string allowList() = 0;
  // Replaces the allow list (in XDP and in the daemon); the text says the
  // change. Error: why not (too many networks), the old list still in effect.
  virtual Result<std::string> setAllowList(const std::vector<config::Cidr>& networks) = 0;
};

}  // namespace unbuckle::control
