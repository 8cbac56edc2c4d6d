#include "afxdp/umem.h"

#include <cstring>
#include <string>

#include "unbuckle/bpf_abi.h"

namespace unbuckle::afxdp {

Result<std::unique_ptr<Umem>> Umem::create(const UmemRegion& region, const Layout& layout) {
  std::unique_ptr<Umem> self(new Umem);
  self->layout_ = layout;
  self->base_ = reinterpret_cast<uint8_t*>(region.bytes().data());

  xsk_umem_config config{};
  config.fill_size = layout.fill_size;
  config.comp_size = layout.completion_size;
  config.frame_size = UmemRegion::kFrameSize;
  config.frame_headroom = UNBUCKLE_XSK_FRAME_HEADROOM;
  config.flags = 0;
  if (int err = xsk_umem__create(&self->umem_, self->base_, region.bytes().size(), &self->fill_,
                                 &self->completion_, &config)) {
    self->umem_ = nullptr;
    std::string message = "cannot register the umem (" + std::to_string(region.bytes().size() >> 20) +
                          " MiB: frames and item arena) with the kernel: " + std::strerror(-err);
    if (err == -EPERM || err == -ENOBUFS) {
      message += " (needs CAP_NET_RAW, and CAP_IPC_LOCK or a memlock limit above the umem's size)";
    } else if (err == -ENOMEM) {
      message += " (its pages are pinned: lower --memory-limit)";
    }
    return Error{message};
  }
  return self;
}

Umem::~Umem() {
  if (umem_) {
    xsk_umem__delete(umem_);
  }
}

}  // namespace unbuckle::afxdp
