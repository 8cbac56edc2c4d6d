// The kernel cache's maps as the loader reuses them: made once by the daemon
// (kernel_cache/kernel_cache_maps.h) and shared by the program of every
// attached interface, so one mirror serves them all.
#pragma once

#include <cstdint>

namespace unbuckle::xdp {

struct KernelCacheMapFds {
  int slots = -1;
  int hits = -1;
  int state = -1;
  uint32_t set_mask = 0;   // the program's cfg_kc_set_mask: slots / UNBUCKLE_KC_WAYS - 1
};

}  // namespace unbuckle::xdp
