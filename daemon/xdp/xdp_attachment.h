// The steering program (bpf/unbuckle.bpf.c) on one interface. Attaching
// takes the interface's lock (interface_lock.h), loads the embedded object,
// replaces a stale copy left by a crashed run, and pins the maps under
// <pin root>/<interface>/ for bpftool; destruction detaches and unpins (and
// removes the pin root if nothing else is in it), so a clean stop leaves
// nothing behind. The program uses the daemon's allow list tries
// (allow_list_map_fds.h) and, with the kernel cache, its maps
// (kernel_cache_map_fds.h) instead of its own, and they are pinned too.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/daemon_config.h"
#include "result.h"
#include "unbuckle/bpf_abi.h"
#include "xdp/allow_list_map_fds.h"
#include "xdp/interface_lock.h"
#include "xdp/kernel_cache_map_fds.h"

struct bpf_map;
struct unbuckle_bpf;
struct xdp_program;

namespace unbuckle::xdp {

struct AttachOptions {
  std::string interface;
  config::XdpMode mode = config::XdpMode::kAuto;
  uint16_t port = 11211;
  std::string pin_root = "/sys/fs/bpf/unbuckle-xdp";
  // The longest frame the AF_XDP sockets in the XSKMAP receive; longer
  // memcached requests are passed to the kernel.
  uint32_t xsk_rx_room = UNBUCKLE_XSK_RX_ROOM;
  // Set: the program answers kernel-cache hits from these maps. Unset
  // (--kernel-cache off): it steers exactly as without a kernel cache, its
  // own kernel-cache maps left at their small declared size and unused.
  std::optional<KernelCacheMapFds> kernel_cache = std::nullopt;
  // Set: the tries of allowed sources. Unset: the program's own, empty, so
  // memcached UDP from every source is dropped.
  std::optional<AllowListMapFds> allow = std::nullopt;
};

class XdpAttachment {
 public:
  static Result<std::unique_ptr<XdpAttachment>> attach(const AttachOptions& options);
  ~XdpAttachment();
  XdpAttachment(const XdpAttachment&) = delete;
  XdpAttachment& operator=(const XdpAttachment&) = delete;

  const std::string& interface() const { return interface_; }
  int ifindex() const { return ifindex_; }
  std::string_view modeName() const;   // "native" or "skb"
  const std::string& pinDir() const { return pin_dir_; }
  bool kernelCache() const { return kernel_cache_; }
  int xsksMapFd() const;
  int countersMapFd() const;
  // The program's counters (bpf_abi.h), summed over CPUs, by name.
  std::vector<std::pair<std::string_view, uint64_t>> counters() const;
  // One of them (enum unbuckle_xdp_counter), summed over CPUs.
  uint64_t counter(uint32_t index) const;
  static std::string_view counterName(int index);

 private:
  XdpAttachment() = default;
  // Before load: the daemon's kernel-cache maps and the two switches.
  Result<bool> useKernelCache(const std::optional<KernelCacheMapFds>& maps);
  // Before load: the daemon's allow list tries.
  Result<bool> useAllowList(const std::optional<AllowListMapFds>& maps);
  // The maps pinned under pinDir(): the XSKMAP, the counters, the allow
  // list's tries, and the kernel cache's maps when it is on.
  std::vector<bpf_map*> pinnedMaps() const;

  std::optional<InterfaceLock> lock_;
  std::string interface_;
  int ifindex_ = 0;
  int attach_mode_ = 0;   // enum xdp_attach_mode
  std::string pin_root_;
  std::string pin_dir_;
  bool kernel_cache_ = false;
  unbuckle_bpf* skeleton_ = nullptr;
  xdp_program* program_ = nullptr;
};

}  // namespace unbuckle::xdp
