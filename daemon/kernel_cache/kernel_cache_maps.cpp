#include "kernel_cache/kernel_cache_maps.h"

#include <bpf/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace unbuckle::kernel_cache {
namespace {

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

size_t pageAligned(uint64_t bytes) {
  const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return static_cast<size_t>((bytes + page - 1) / page * page);
}

Error createError(const char* name, int err, const std::string& what) {
  Error refused = systemError(std::string("cannot create kernel cache map ") + name + " (" + what + ")", err);
  if (err == EPERM) refused.message += "; it needs CAP_BPF (run as root)";
  if (err == ENOMEM || err == E2BIG) refused.message += "; lower --kernel-cache-entries or use --kernel-cache off";
  if (err == EINVAL) refused.message += "; this kernel may lack mmapable BPF arrays (Linux 5.5) or --kernel-cache off";
  return refused;
}

}  // namespace

uint64_t KernelCacheMaps::memoryBytes(uint32_t entries) {
  return uint64_t{entries} * (sizeof(unbuckle_kc_slot) + sizeof(unbuckle_kc_hit));
}

Result<KernelCacheMaps::MappedArray> KernelCacheMaps::createArray(const char* name, uint32_t value_size,
                                                                  uint32_t entries) {
  LIBBPF_OPTS(bpf_map_create_opts, options, .map_flags = BPF_F_MMAPABLE);
  MappedArray array;
  array.length = pageAligned(uint64_t{value_size} * entries);
  const std::string what = std::to_string(entries) + " x " + std::to_string(value_size) + " B, " + mib(array.length);
  array.fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(uint32_t), value_size, entries, &options);
  if (array.fd < 0) return createError(name, errno, what);
  array.memory = mmap(nullptr, array.length, PROT_READ | PROT_WRITE, MAP_SHARED, array.fd, 0);
  if (array.memory == MAP_FAILED) {
    const int err = errno;
    close(array.fd);
    return systemError(std::string("cannot map kernel cache map ") + name + " (" + what + ")", err);
  }
  return array;
}

Result<std::unique_ptr<KernelCacheMaps>> KernelCacheMaps::create(uint32_t entries) {
  std::unique_ptr<KernelCacheMaps> self(new KernelCacheMaps);
  self->entries_ = entries;
  auto slots = createArray("unbuckle_kc_slots", sizeof(unbuckle_kc_slot), entries);
  if (!slots.ok()) return slots.failure();
  self->slot_array_ = slots.value();
  auto hits = createArray("unbuckle_kc_hits", sizeof(unbuckle_kc_hit), entries);
  if (!hits.ok()) return hits.failure();
  self->hit_array_ = hits.value();
  auto state = createArray("unbuckle_kc_state", sizeof(unbuckle_kc_state), 1);
  if (!state.ok()) return state.failure();
  self->state_array_ = state.value();
  self->budget_fd_ = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "unbuckle_kc_budget", sizeof(unbuckle_reply_source),
                                    sizeof(unbuckle_reply_bucket), UNBUCKLE_KC_BUDGET_SOURCES, nullptr);
  if (self->budget_fd_ < 0) {
    return createError("unbuckle_kc_budget", errno, std::to_string(UNBUCKLE_KC_BUDGET_SOURCES) + " sources, LRU hash");
  }
  self->slots_ = static_cast<unbuckle_kc_slot*>(self->slot_array_.memory);
  self->hits_ = static_cast<unbuckle_kc_hit*>(self->hit_array_.memory);
  self->state_ = static_cast<unbuckle_kc_state*>(self->state_array_.memory);
  return self;
}

xdp::KernelCacheMapFds KernelCacheMaps::fds() const {
  return xdp::KernelCacheMapFds{slot_array_.fd, hit_array_.fd, state_array_.fd, budget_fd_,
                                entries_ / UNBUCKLE_KC_WAYS - 1};
}

KernelCacheMaps::~KernelCacheMaps() {
  for (const MappedArray* array : {&slot_array_, &hit_array_, &state_array_}) {
    if (array->memory) munmap(array->memory, array->length);
    if (array->fd >= 0) close(array->fd);
  }
  if (budget_fd_ >= 0) close(budget_fd_);
}

}  // namespace unbuckle::kernel_cache
