// An AF_XDP socket bound (copy mode) to one RX queue, put in the XDP
// program's XSKMAP slot for that queue. The kernel cache answers only on a
// queue whose daemon socket is alive, so its tests need one; nothing reads
// from it, so a frame steered to it is never answered.
#pragma once

#include <bpf/bpf.h>
#include <linux/if_xdp.h>
#include <sys/mman.h>
#include <xdp/xsk.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace unbuckle::testing {

class BoundXsk {
 public:
  BoundXsk() = default;
  BoundXsk(const BoundXsk&) = delete;
  BoundXsk& operator=(const BoundXsk&) = delete;
  ~BoundXsk() { close(); }

  // Binds to `queue` of `interface` (in the calling thread's network
  // namespace) and fills slot `queue` of `xsks_map_fd`; "" or what failed.
  std::string open(const std::string& interface, uint32_t queue, int xsks_map_fd) {
    close();
    memory_ = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory_ == MAP_FAILED) {
      memory_ = nullptr;
      return "mmap of the umem failed";
    }
    int err = xsk_umem__create(&umem_, memory_, kSize, &fill_, &completion_, nullptr);
    if (err) return "xsk_umem__create: " + std::string(strerror(-err));
    xsk_socket_config config{};
    config.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS;
    config.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS;
    config.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
    config.bind_flags = XDP_COPY;
    err = xsk_socket__create(&xsk_, interface.c_str(), queue, umem_, &rx_, &tx_, &config);
    if (err) return "binding an AF_XDP socket to " + interface + ": " + strerror(-err);
    queue_ = queue;
    return insertInto(xsks_map_fd);
  }

  // Fills the socket's slot of another program's XSKMAP (a socket closed and
  // bound again at once is refused while the kernel still releases it).
  std::string insertInto(int xsks_map_fd) {
    const int fd = xsk_socket__fd(xsk_);
    if (bpf_map_update_elem(xsks_map_fd, &queue_, &fd, BPF_ANY) != 0) {
      return "putting the AF_XDP socket in the XSKMAP: " + std::string(strerror(errno));
    }
    return "";
  }

  bool isOpen() const { return xsk_ != nullptr; }

  // Closing the socket empties its XSKMAP slot, as a daemon's death does.
  void close() {
    if (xsk_) xsk_socket__delete(xsk_);
    if (umem_) xsk_umem__delete(umem_);
    if (memory_) munmap(memory_, kSize);
    xsk_ = nullptr;
    umem_ = nullptr;
    memory_ = nullptr;
  }

 private:
  static constexpr size_t kSize = 64 * XSK_UMEM__DEFAULT_FRAME_SIZE;

  uint32_t queue_ = 0;
  void* memory_ = nullptr;
  xsk_umem* umem_ = nullptr;
  xsk_socket* xsk_ = nullptr;
  xsk_ring_prod fill_{}, tx_{};
  xsk_ring_cons completion_{}, rx_{};
};

}  // namespace unbuckle::testing
