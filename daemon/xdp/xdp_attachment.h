// The steering program (bpf/unbuckle.bpf.c) on one interface. Attaching
// takes the interface's lock (interface_lock.h), loads the embedded object,
// replaces a stale copy left by a crashed run, and pins the maps under
// <pin root>/<interface>/ for bpftool; destruction detaches and unpins (and
// removes the pin root if nothing else is in it), so a clean stop leaves
// nothing behind.
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
#include "xdp/interface_lock.h"

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
  int xsksMapFd() const;
  int countersMapFd() const;
  // The program's counters (bpf_abi.h), summed over CPUs, by name.
  std::vector<std::pair<std::string_view, uint64_t>> counters() const;
  static std::string_view counterName(int index);

 private:
  XdpAttachment() = default;

  std::optional<InterfaceLock> lock_;
  std::string interface_;
  int ifindex_ = 0;
  int attach_mode_ = 0;   // enum xdp_attach_mode
  std::string pin_root_;
  std::string pin_dir_;
  unbuckle_bpf* skeleton_ = nullptr;
  xdp_program* program_ = nullptr;
};

}  // namespace unbuckle::xdp
