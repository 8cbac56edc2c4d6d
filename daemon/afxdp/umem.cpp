#include "afxdp/umem.h"

#include <sys/mman.h>

#include <cstring>
#include <string>

namespace unbuckle::afxdp {

Result<std::unique_ptr<Umem>> Umem::create(const Layout& layout) {
  std::unique_ptr<Umem> self(new Umem);
  self->layout_ = layout;
  self->size_ = uint64_t{layout.frames} * kFrameSize;
  void* region = mmap(nullptr, self->size_, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (region == MAP_FAILED) {
    return Error{"cannot map " + std::to_string(self->size_ >> 20) + " MiB of umem: " +
                 std::strerror(errno)};
  }
  self->base_ = static_cast<uint8_t*>(region);

  xsk_umem_config config{};
  config.fill_size = layout.fill_size;
  config.comp_size = layout.completion_size;
  config.frame_size = kFrameSize;
  config.frame_headroom = 0;
  config.flags = 0;
  if (int err = xsk_umem__create(&self->umem_, self->base_, self->size_, &self->fill_,
                                 &self->completion_, &config)) {
    self->umem_ = nullptr;
    return Error{"cannot register the umem with the kernel: " + std::string(std::strerror(-err)) +
                 (err == -EPERM ? " (needs CAP_NET_RAW and CAP_IPC_LOCK)" : "")};
  }
  return self;
}

Umem::~Umem() {
  if (umem_) {
    xsk_umem__delete(umem_);
  }
  if (base_) {
    munmap(base_, size_);
  }
}

}  // namespace unbuckle::afxdp
