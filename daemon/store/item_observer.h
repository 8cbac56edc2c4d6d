// What the store tells a copy of its items kept elsewhere (the kernel
// cache's mirror, daemon/kernel_cache/mirror.h): every change of a key's
// live item, every read of one, every flush_all. Store::setObserver()
// installs one; without one the store calls nothing.
//
// Every call about a key is made with that key's shard locked, after the
// store has made the change and before Store::access() returns, so before
// the engine replies: a copy the observer keeps in step is never behind a
// reply that has left. Calls about different keys run concurrently.
//
// Hooks and what reaches them:
//   itemLinked    link(): set/add/replace/append/prepend/cas, incr/decr that
//                 grew the value, any fresh item replacing the old one.
//   itemModified  setExptime() (touch, gat, mg/md/ma with T) and setCas()
//                 (which the engine calls after an in-place incr/decr and
//                 after md's stale mark, with or without -C).
//   itemRemoved   every unlink: delete, lazy expiry or flush in item(),
//                 eviction and reclaim at allocation, the page mover's
//                 evictions and reclaims, the crawler, the LRU tail reclaim.
//                 (A page move that copies a live item to another chunk
//                 changes neither its key nor its bytes: no call.)
//   takeHits      item() found a live item (every read, by every command),
//                 and eviction looks at a candidate: hits served elsewhere
//                 since the last call, which the store folds into the item
//                 as a daemon GET hit would (fetched, last access, LRU).
//   itemFetched   bump(): the daemon served a GET hit of the item.
//   flushed       flush_all, immediate or delayed, after the store set its
//                 marks (called under the store's flush mutex).
#pragma once

#include <cstdint>
#include <string_view>

#include "store/clock.h"

namespace unbuckle::store {

class Item;

// Whether an item is still live by the store's expiry and flush marks as
// they are at the moment of the call. A flush_all may run while an item is
// being copied: the observer asks after reading its own flush generation,
// so a copy it publishes is either of a live item or of an older
// generation.
class ItemLiveness {
 public:
  virtual bool live(const Item& item) const = 0;

 protected:
  ~ItemLiveness() = default;
};

// Reads of an item served outside the daemon since they were last taken.
struct OutsideHits {
  uint64_t hits = 0;
  RelTime last = 0;   // when the last of them was served
};

class ItemObserver {
 public:
  virtual ~ItemObserver() = default;
  // `item` is now the key's live item, fresh (a store): copy or admit it.
  virtual void itemLinked(const Item& item, const ItemLiveness& liveness) = 0;
  // The key's live item changed in place (exptime, cas or value bytes):
  // refresh a copy if there is one.
  virtual void itemModified(const Item& item, const ItemLiveness& liveness) = 0;
  // The key has no live item any more.
  virtual void itemRemoved(std::string_view key) = 0;
  virtual OutsideHits takeHits(const Item& item) = 0;
  virtual void itemFetched(const Item& item, const ItemLiveness& liveness) = 0;
  // `pending`: the delayed flush's instant still to come (items last
  // accessed at or before it die then), 0 none. Called with the store's
  // flush marks already set.
  virtual void flushed(RelTime pending) = 0;
};

}  // namespace unbuckle::store
