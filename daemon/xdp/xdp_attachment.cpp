#include "xdp/xdp_attachment.h"

#include <linux/capability.h>
#include <net/if.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "unbuckle/bpf_abi.h"
#include "unbuckle_bpf.skel.h"
#include "xdp/bpf_log.h"
#include "xdp/pin_path.h"

namespace unbuckle::xdp {

namespace {

constexpr const char* kProgramName = "unbuckle_xdp";

std::string errorText(int err) { return std::strerror(err < 0 ? -err : err); }

// The oldest kernel the program loads on: multi-buffer XDP (`xdp.frags`,
// bpf_xdp_get_buff_len) and, for the kernel cache, bpf_xdp_load_bytes and
// bpf_xdp_store_bytes all came in 5.18 (README "Kernel cache").
constexpr int kMinKernelMajor = 5;
constexpr int kMinKernelMinor = 18;

// Why a load may have failed when the kernel predates kMinKernel*, or
// nothing.
std::string kernelTooOldNote() {
  utsname name{};
  int major = 0, minor = 0;
  if (uname(&name) != 0 || std::sscanf(name.release, "%d.%d", &major, &minor) != 2) return {};
  if (major > kMinKernelMajor || (major == kMinKernelMajor && minor >= kMinKernelMinor)) return {};
  return " (unbuckle.bpf.o needs Linux " + std::to_string(kMinKernelMajor) + "." + std::to_string(kMinKernelMinor) +
         " or later; this is " + name.release + ")";
}

// Why the verifier may have refused the program when this process lacks
// CAP_PERFMON (CAP_SYS_ADMIN implies it), or nothing: without it the
// verifier forbids pointer arithmetic the program does ("pointer -= pointer
// prohibited").
std::string missingPerfmonNote() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (syscall(SYS_capget, &header, data) != 0) return {};
  const auto effective = [&](int cap) { return (data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap)) != 0; };
  if (effective(CAP_PERFMON) || effective(CAP_SYS_ADMIN)) return {};
  return " (this process lacks CAP_PERFMON, without which the verifier forbids the program's pointer arithmetic: "
         "give the daemon CAP_PERFMON or CAP_SYS_ADMIN)";
}

// A program we left behind (crash, kill -9) is detached; anyone else's is
// the operator's to remove. Only called with the interface's lock held, so
// an unbuckle_xdp found here has no live daemon.
Result<bool> clearStaleProgram(const std::string& interface, int ifindex) {
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
  if (!mp || libxdp_get_error(mp)) return true;
  std::string foreign;
  if (xdp_multiprog__is_legacy(mp)) {
    xdp_program* main = xdp_multiprog__main_prog(mp);
    if (main && xdp_program__name(main) != std::string_view(kProgramName)) foreign = xdp_program__name(main);
  } else {
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
      if (xdp_program__name(p) != std::string_view(kProgramName)) foreign = xdp_program__name(p);
    }
  }
  if (!foreign.empty()) {
    xdp_multiprog__close(mp);
    return Error{"cannot attach XDP to " + interface + ": program '" + foreign +
                 "' is already attached; remove it first (xdp-loader unload " + interface + " --all)"};
  }
  int err = xdp_multiprog__detach(mp);
  xdp_multiprog__close(mp);
  if (err) return systemError("cannot replace the stale unbuckle_xdp on " + interface, std::abs(err));
  spdlog::warn("{}: replaced a stale unbuckle_xdp left by an earlier run", interface);
  return true;
}

}  // namespace

Result<std::unique_ptr<XdpAttachment>> XdpAttachment::attach(const AttachOptions& options) {
  routeBpfLogsToSpdlog();
  std::unique_ptr<XdpAttachment> self(new XdpAttachment);
  self->interface_ = options.interface;
  self->ifindex_ = static_cast<int>(if_nametoindex(options.interface.c_str()));
  if (self->ifindex_ == 0) return Error{"cannot attach XDP to " + options.interface + ": no such interface"};

  if (auto pinnable = checkPinRoot(options.pin_root); !pinnable.ok()) return pinnable.failure();

  auto locked = InterfaceLock::acquire(options.interface, self->ifindex_);
  if (!locked.ok()) return locked.failure();
  self->lock_.emplace(std::move(locked.value()));

  auto cleared = clearStaleProgram(options.interface, self->ifindex_);
  if (!cleared.ok()) return cleared.failure();

  self->skeleton_ = unbuckle_bpf::open();
  if (!self->skeleton_) return systemError("cannot open the embedded unbuckle.bpf.o", errno);
  self->skeleton_->rodata->cfg_port = options.port;
  self->skeleton_->rodata->cfg_xsk_rx_room = options.xsk_rx_room;
  auto kernel_cache = self->useKernelCache(options);
  if (!kernel_cache.ok()) return kernel_cache.failure();
  auto allow = self->useAllowList(options.allow);
  if (!allow.ok()) return allow.failure();
  self->program_ = xdp_program__from_bpf_obj(self->skeleton_->obj, "xdp.frags");
  if (long err = libxdp_get_error(self->program_)) {
    self->program_ = nullptr;
    return systemError("cannot use the embedded unbuckle.bpf.o with libxdp", static_cast<int>(std::abs(err)));
  }

  xdp_attach_mode modes[2] = {XDP_MODE_NATIVE, XDP_MODE_SKB};
  int first = options.mode == config::XdpMode::kSkb ? 1 : 0;
  int last = options.mode == config::XdpMode::kNative ? 0 : 1;
  int err = -EINVAL;
  for (int i = first; i <= last; ++i) {
    clearBpfLogTail();
    err = xdp_program__attach(self->program_, self->ifindex_, modes[i], 0);
    if (err == 0) {
      self->attach_mode_ = modes[i];
      break;
    }
    if (xdp_program__fd(self->program_) < 0) {  // it never loaded
      if (err == -EPERM) return Error{"cannot load unbuckle.bpf.o: permission denied (needs CAP_BPF and CAP_NET_ADMIN)"};
      return Error{"verifier rejected unbuckle.bpf.o: " + verifierVerdict() + kernelTooOldNote() +
                   missingPerfmonNote()};
    }
  }
  if (err) {
    return systemError("cannot attach XDP to " + options.interface + " in " +
                           (last == 0 ? "native" : first == 1 ? "skb" : "native or skb") + " mode",
                       std::abs(err));
  }

  self->pin_root_ = options.pin_root;
  self->pin_dir_ = options.pin_root + "/" + options.interface;
  std::error_code ec;
  std::filesystem::remove_all(self->pin_dir_, ec);
  std::filesystem::create_directories(self->pin_dir_, ec);
  if (ec) return Error{"cannot create " + self->pin_dir_ + ": " + ec.message()};
  for (bpf_map* map : self->pinnedMaps()) {
    std::string path = self->pin_dir_ + "/" + bpf_map__name(map);
    if (int pin_err = bpf_map__pin(map, path.c_str())) {
      return systemError("cannot pin " + path, std::abs(pin_err));
    }
  }
  return self;
}

XdpAttachment::~XdpAttachment() {
  char name[IF_NAMESIZE];
  const bool gone = if_indextoname(static_cast<unsigned>(ifindex_), name) == nullptr;
  if (gone && attach_mode_) {
    spdlog::info("{}: the interface is gone, and its XDP program with it", interface_);
  }
  if (program_ && attach_mode_ && !gone) {
    // Attached alone (the kernel refused libxdp's dispatcher), the program is
    // detached directly, and only if it is still ours: libxdp 1.3's
    // xdp_program__detach() leaks a descriptor of it each time, one per
    // run-time detach. Behind a dispatcher, libxdp detaches it.
    LIBBPF_OPTS(bpf_xdp_attach_opts, ours, .old_prog_fd = xdp_program__fd(program_));
    const uint32_t flags = attach_mode_ == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    if (bpf_xdp_detach(ifindex_, flags, &ours) != 0) {
      if (int err = xdp_program__detach(program_, ifindex_, static_cast<xdp_attach_mode>(attach_mode_), 0)) {
        spdlog::error("cannot detach XDP from {}: {}", interface_, errorText(err));
      }
    }
  }
  if (skeleton_ && !pin_dir_.empty()) {
    for (bpf_map* map : pinnedMaps()) {
      if (bpf_map__is_pinned(map)) bpf_map__unpin(map, nullptr);
    }
    std::error_code ec;
    std::filesystem::remove(pin_dir_, ec);
    std::filesystem::remove(pin_root_, ec);   // only if no other interface's pins are in it
  }
  if (program_) xdp_program__close(program_);
  if (skeleton_) unbuckle_bpf::destroy(skeleton_);
}

Result<bool> XdpAttachment::useKernelCache(const AttachOptions& options) {
  const std::optional<KernelCacheMapFds>& maps = options.kernel_cache;
  kernel_cache_ = maps.has_value();
  skeleton_->rodata->cfg_kernel_cache = kernel_cache_ ? 1 : 0;
  if (!maps) return true;
  skeleton_->rodata->cfg_kc_set_mask = maps->set_mask;
  skeleton_->rodata->cfg_reply_rate = options.reply_rate;
  skeleton_->rodata->cfg_reply_burst = options.reply_burst;
  const std::pair<bpf_map*, int> reused[] = {
      {skeleton_->maps.unbuckle_kc_slots, maps->slots},   {skeleton_->maps.unbuckle_kc_hits, maps->hits},
      {skeleton_->maps.unbuckle_kc_state, maps->state},   {skeleton_->maps.unbuckle_kc_budget, maps->budget}};
  for (const auto& [map, fd] : reused) {
    if (int err = bpf_map__reuse_fd(map, fd)) {
      return systemError(std::string("cannot give the kernel cache's map ") + bpf_map__name(map) + " to unbuckle.bpf.o",
                         std::abs(err));
    }
  }
  return true;
}

Result<bool> XdpAttachment::useAllowList(const std::optional<AllowListMapFds>& maps) {
  if (!maps) return true;
  const std::pair<bpf_map*, int> reused[] = {{skeleton_->maps.unbuckle_allow4, maps->allow4},
                                             {skeleton_->maps.unbuckle_allow6, maps->allow6}};
  for (const auto& [map, fd] : reused) {
    if (int err = bpf_map__reuse_fd(map, fd)) {
      return systemError(std::string("cannot give the allow list's map ") + bpf_map__name(map) + " to unbuckle.bpf.o",
                         std::abs(err));
    }
  }
  return true;
}

std::vector<bpf_map*> XdpAttachment::pinnedMaps() const {
  std::vector<bpf_map*> maps{skeleton_->maps.unbuckle_xsks, skeleton_->maps.unbuckle_counters,
                             skeleton_->maps.unbuckle_allow4, skeleton_->maps.unbuckle_allow6};
  if (kernel_cache_) {
    for (bpf_map* map : {skeleton_->maps.unbuckle_kc_slots, skeleton_->maps.unbuckle_kc_hits,
                         skeleton_->maps.unbuckle_kc_state, skeleton_->maps.unbuckle_kc_budget}) {
      maps.push_back(map);
    }
  }
  return maps;
}

std::string_view XdpAttachment::modeName() const {
  return attach_mode_ == XDP_MODE_NATIVE ? "native" : "skb";
}

int XdpAttachment::xsksMapFd() const { return bpf_map__fd(skeleton_->maps.unbuckle_xsks); }

int XdpAttachment::countersMapFd() const { return bpf_map__fd(skeleton_->maps.unbuckle_counters); }

std::string_view XdpAttachment::counterName(int index) {
#define UNBUCKLE_COUNTER_NAME(name, desc) #name,
  static constexpr const char* kNames[] = {UNBUCKLE_XDP_COUNTERS(UNBUCKLE_COUNTER_NAME)};
#undef UNBUCKLE_COUNTER_NAME
  return kNames[index];
}

uint64_t XdpAttachment::counter(uint32_t index) const {
  std::vector<uint64_t> per_cpu(static_cast<size_t>(libbpf_num_possible_cpus()));
  uint64_t sum = 0;
  if (bpf_map__lookup_elem(skeleton_->maps.unbuckle_counters, &index, sizeof(index), per_cpu.data(),
                           per_cpu.size() * sizeof(uint64_t), 0) == 0) {
    for (uint64_t v : per_cpu) sum += v;
  }
  return sum;
}

std::vector<std::pair<std::string_view, uint64_t>> XdpAttachment::counters() const {
  std::vector<std::pair<std::string_view, uint64_t>> out;
  for (uint32_t index = 0; index < UNBUCKLE_XDP_COUNTER_MAX; ++index) {
    out.emplace_back(counterName(static_cast<int>(index)), counter(index));
  }
  return out;
}

}  // namespace unbuckle::xdp
