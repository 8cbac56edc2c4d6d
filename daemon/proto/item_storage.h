// Storing a value that arrived in a data block: memcached's item_alloc +
// complete_nread_ascii + do_store_item, shared by the classic storage
// commands and `ms`.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/stats.h"
#include "store/store.h"

namespace unbuckle::proto {

enum class StoreMode { kSet, kAdd, kReplace, kAppend, kPrepend, kCas };

enum class StoreResult {
  kStored,
  kNotStored,
  kExists,
  kNotFound,
  kTooLarge,      // the store refused the size
  kNoMemory,      // nothing could be evicted
  kBadDataChunk,  // the block does not end in "\r\n"
};

struct StoreRequest {
  std::string_view key;
  uint32_t flags = 0;
  store::RelTime exptime = 0;
  std::string_view block;          // value plus its "\r\n"
  StoreMode mode = StoreMode::kSet;
  uint64_t cas = 0;                // compare value, 0 for none
  bool set_stale = false;          // meta I: a lower cas stores a stale value
  bool key_binary = false;         // meta b
  bool unlink_if_refused = false;  // a refused allocation removes the old value
};

struct StoreOutcome {
  StoreResult result = StoreResult::kNotStored;
  uint64_t cas = 0;                // of the stored item; 0 if nothing was stored
};

StoreOutcome storeItem(store::Store& store, WorkerStats& stats, const StoreRequest& request);

// Counts a refused size (store_too_large) or a block there is no memory
// for (store_no_memory) and drops the key's current value when asked: what
// memcached does when item_alloc fails before the data.
void refuseTooLarge(store::Store& store, WorkerStats& stats, std::string_view key, bool unlink);
void refuseNoMemory(store::Store& store, WorkerStats& stats, std::string_view key, bool unlink);

}  // namespace unbuckle::proto
