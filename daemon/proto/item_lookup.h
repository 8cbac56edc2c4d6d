// Looking a key up counts memcached's get_expired / get_flushed when the
// store drops an expired or flushed item on the way (do_item_get does this
// for every command that reads an item).
#pragma once

#include "proto/stats.h"
#include "store/store.h"

namespace unbuckle::proto {

inline store::Item* lookupItem(store::Access& a, WorkerStats& stats) {
  store::Item* it = a.item();
  if (!it) {
    switch (a.miss()) {
      case store::Miss::kExpired: bump(stats.get_expired); break;
      case store::Miss::kFlushed: bump(stats.get_flushed); break;
      case store::Miss::kAbsent: break;
    }
  }
  return it;
}

}  // namespace unbuckle::proto
