// The kernel cache's maps (include/unbuckle/bpf_abi.h), created by the
// daemon before any program loads so that every interface's program shares
// them: the slots, hit records and flush generation as BPF_F_MMAPABLE
// arrays mapped into the daemon (the mirror writes them in place, XDP reads
// them). The destructor unmaps and closes; the maps go when the last
// program using them does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "result.h"
#include "unbuckle/bpf_abi.h"
#include "xdp/kernel_cache_map_fds.h"

namespace unbuckle::kernel_cache {

class KernelCacheMaps {
 public:
  // `entries` slots (a power of two, at least UNBUCKLE_KC_WAYS: the check of
  // --kernel-cache-entries).
  static Result<std::unique_ptr<KernelCacheMaps>> create(uint32_t entries);
  ~KernelCacheMaps();
  KernelCacheMaps(const KernelCacheMaps&) = delete;
  KernelCacheMaps& operator=(const KernelCacheMaps&) = delete;

  uint32_t entries() const { return entries_; }
  unbuckle_kc_slot* slots() const { return slots_; }
  unbuckle_kc_hit* hits() const { return hits_; }
  unbuckle_kc_state* state() const { return state_; }
  // What the loader reuses (xdp::AttachOptions::kernel_cache).
  xdp::KernelCacheMapFds fds() const;

  // The memory the maps of `entries` slots take: the slots and hit records
  // (the state is a page).
  static uint64_t memoryBytes(uint32_t entries);

 private:
  KernelCacheMaps() = default;

  // One mmapable array: created, then mapped read-write.
  struct MappedArray {
    int fd = -1;
    void* memory = nullptr;
    size_t length = 0;
  };
  static Result<MappedArray> createArray(const char* name, uint32_t value_size, uint32_t entries);

  uint32_t entries_ = 0;
  MappedArray slot_array_, hit_array_, state_array_;
  unbuckle_kc_slot* slots_ = nullptr;
  unbuckle_kc_hit* hits_ = nullptr;
  unbuckle_kc_state* state_ = nullptr;
};

}  // namespace unbuckle::kernel_cache
