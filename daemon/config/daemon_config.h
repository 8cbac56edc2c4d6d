// The daemon's settings: one field per flag of the ARCHITECTURE.md table
// (plus --max-connections), each default written here and nowhere else (the
// reply budget's in bpf_abi.h, whose defaults the XDP program shares).
// The same names are the keys of the config file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/cidr.h"
#include "unbuckle/bpf_abi.h"

namespace unbuckle::config {

enum class Backend { kXdp, kSocket };
enum class XdpMode { kAuto, kNative, kSkb };
enum class ZeroCopy { kAuto, kOn, kOff };

// CPU numbers --cpus accepts: below the kernel's cpu_set_t size.
inline constexpr uint32_t kMaxCpus = 1024;

inline constexpr const char* kDefaultConfigPath = "/etc/unbuckle-xdp/unbuckle-xdp.conf";

// --allow default: loopback and the private ranges.
inline const std::vector<std::string> kDefaultAllow = {
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
    "::1/128",     "fc00::/7",   "fe80::/10"};

// kDefaultAllow, parsed.
std::vector<Cidr> defaultAllow();

struct DaemonConfig {
  std::vector<std::string> interfaces;
  uint16_t port = 11211;                 // UDP; 0 disables UDP
  uint16_t tcp_port = 11211;             // default: --port; 0 disables TCP
  std::string listen = "0.0.0.0";        // numeric IPv4 or IPv6 address
  // --listen given (flag or key): that address only. Not given: 0.0.0.0
  // and ::, every address as memcached without -l.
  bool listen_given = false;
  Backend backend = Backend::kSocket;    // default: kXdp when an interface is given
  uint32_t threads = 0;                  // default: nproc (socket), one per RX queue (xdp: 0 here)
  uint64_t memory_limit_mb = 64;
  size_t max_item_size = size_t{1} << 20;
  bool disable_evictions = false;        // memcached -M
  // memcached's -o slab_automove, slab_automove_ratio, slab_automove_window.
  uint32_t slab_automove = 1;            // 0 off, 1 automover, 2 a page per eviction
  double slab_automove_ratio = 0.8;
  uint32_t slab_automove_window = 30;    // seconds
  uint32_t max_connections = 1024;       // memcached -c
  uint32_t idle_timeout = 0;             // seconds; memcached -o idle_timeout, 0 = never
  XdpMode xdp_mode = XdpMode::kAuto;
  ZeroCopy zerocopy = ZeroCopy::kAuto;
  bool busy_poll = false;
  std::vector<uint32_t> cpus;            // --cpus; empty: workers not pinned
  bool kernel_cache = true;
  uint32_t kernel_cache_entries = 65536;
  std::vector<Cidr> allow = defaultAllow();
  // The reply budget of each UDP source (udp/reply_budget.h, and XDP's for
  // kernel-cache hits): bytes per second and bucket depth. Chosen in README "Reply budget".
  uint64_t udp_reply_rate = UNBUCKLE_REPLY_RATE_DEFAULT;
  uint64_t udp_reply_burst = UNBUCKLE_REPLY_BURST_DEFAULT;
  bool udp_admin = false;                // stats, flush_all, ... over UDP too
  bool udp_coalesce_replies = false;     // a request's small responses in one datagram
  std::string control_socket = "/run/unbuckle-xdp/control.sock";
  // Group of the control socket, whose members may use unbucklectl; empty:
  // the daemon's own group.
  std::string control_group;
  std::string pin_path = "/sys/fs/bpf/unbuckle-xdp";
  std::string log_level = "info";        // trace debug info warn error critical off
  // memcached's switches of its administrative commands and features.
  bool disable_dumping = false;          // -X: stats cachedump, lru_crawler metadump refused
  bool enable_shutdown = false;          // -A: the `shutdown` command stops the daemon
  bool disable_flush_all = false;        // -F: flush_all refused
  bool disable_cas = false;              // -C: items carry no cas
  // -o no_lru_crawler: the crawler starts disabled (`lru_crawler enable`).
  bool no_lru_crawler = false;
  // -o no_lru_maintainer: no background reclaim at the LRU tails, no
  // background page moves (the automover); on demand they still happen.
  bool no_lru_maintainer = false;
  // -o temporary_ttl: items with a TTL up to this go to the temporary LRU
  // (Store::setTemporaryLru); unset is memcached's temp_lru off.
  std::optional<uint32_t> temporary_ttl;
  // Benchmark ceiling (tools/bench.sh): AF_XDP workers answer every request
  // with a fixed GET hit of this many value bytes; unset = serve normally.
  std::optional<uint32_t> debug_fixed_reply;
  std::string config_file;               // the config file that was read; empty if none

  bool operator==(const DaemonConfig&) const = default;
};

}  // namespace unbuckle::config
