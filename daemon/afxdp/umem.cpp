#include "afxdp/umem.h"

#include <cerrno>
#include <string>
#include <utility>

namespace unbuckle::afxdp {

Umem::Umem(const Layout& layout, store::MappedRegion memory)
    : layout_(layout), memory_(std::move(memory)), base_(reinterpret_cast<uint8_t*>(memory_.bytes().data())) {}

Result<std::unique_ptr<Umem>> Umem::create(const Layout& layout) {
  auto memory = store::MappedRegion::create(kUmemBytesPerQueue, "an AF_XDP umem");
  if (!memory.ok()) {
    return systemError("cannot map " + std::to_string(kUmemBytesPerQueue >> 20) + " MiB for an AF_XDP umem",
                       memory.failure().errno_value);
  }
  std::unique_ptr<Umem> self(new Umem(layout, std::move(memory.value())));
  xsk_umem_config config{};
  config.fill_size = layout.fill_size;
  config.comp_size = layout.completion_size;
  config.frame_size = kFrameSize;
  config.frame_headroom = UNBUCKLE_XSK_FRAME_HEADROOM;
  config.flags = 0;
  if (int err = xsk_umem__create(&self->umem_, self->base_, kUmemBytesPerQueue, &self->fill_, &self->completion_,
                                 &config)) {
    self->umem_ = nullptr;
    Error refused = systemError("cannot register an AF_XDP umem (" + std::to_string(kUmemBytesPerQueue >> 20) +
                                    " MiB of frames) with the kernel",
                                -err);
    if (err == -EPERM || err == -ENOBUFS) {
      refused.message += " (needs CAP_NET_RAW, and CAP_IPC_LOCK or a memlock limit above 16 MiB per queue)";
    }
    return refused;
  }
  return self;
}

Umem::~Umem() {
  if (umem_) {
    xsk_umem__delete(umem_);
  }
}

}  // namespace unbuckle::afxdp
