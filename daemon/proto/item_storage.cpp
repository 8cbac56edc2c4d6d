#include "proto/item_storage.h"

#include <cstring>
#include <string>

#include "proto/item_lookup.h"

namespace unbuckle::proto {

namespace {

using store::Access;
using store::Item;

enum class CasCheck { kNone, kMatch, kStale, kBadValue };

CasCheck compareCas(uint64_t requested, uint64_t current, bool set_stale) {
  if (requested == 0) return CasCheck::kNone;
  if (requested == current) return CasCheck::kMatch;
  if (set_stale && requested < current) return CasCheck::kStale;
  return CasCheck::kBadValue;
}

// append/prepend: a new item with the old item's flags and exptime holding
// both values; `fresh` only carried the request's bytes. When the combined
// item finds no memory, `fresh` may be what pins the page the store would
// move: the request's bytes are copied out, `fresh` given back, and the
// allocation tried once more. If it still fails the answer is memcached's
// for a failed combined allocation (do_store_item leaves NOT_STORED).
StoreResult combine(Access& a, Item& old, Item& fresh, StoreMode mode) {
  const uint32_t length = old.valueLength() + fresh.valueLength();
  store::Allocation both = a.allocate(old.flags(), old.exptime(), length);
  std::string request;
  std::string_view added = fresh.value();
  const bool retried = both.error == store::AllocError::kOutOfMemory;
  if (retried) {
    request.assign(added);
    added = request;
    a.release(&fresh);
    both = a.allocate(old.flags(), old.exptime(), length);
  }
  if (!both.item) {
    if (!retried) a.release(&fresh);
    return StoreResult::kNotStored;
  }
  const std::string_view first = mode == StoreMode::kAppend ? old.value() : added;
  const std::string_view second = mode == StoreMode::kAppend ? added : old.value();
  char* out = both.item->mutableValue();
  std::memcpy(out, first.data(), first.size());
  std::memcpy(out + first.size(), second.data(), second.size());
  if (!retried) a.release(&fresh);
  a.link(both.item);
  return StoreResult::kStored;
}

// do_store_item(): decides by mode, cas and the current item.
StoreResult place(Access& a, Item& fresh, const StoreRequest& r, WorkerStats& stats) {
  Item* old = lookupItem(a, stats);
  if (!old) {
    switch (r.mode) {
      case StoreMode::kAdd:
      case StoreMode::kSet:
        a.link(&fresh);
        return StoreResult::kStored;
      case StoreMode::kCas:
        bump(stats.cas_misses);
        a.release(&fresh);
        return StoreResult::kNotFound;
      case StoreMode::kReplace:
      case StoreMode::kAppend:
      case StoreMode::kPrepend:
        break;
    }
    a.release(&fresh);
    return StoreResult::kNotStored;
  }

  const CasCheck cas = compareCas(r.cas, old->cas(), r.set_stale);
  SlabClassCounters& old_class = stats.slabClass(old->slabClass());
  switch (r.mode) {
    case StoreMode::kAdd:
      a.release(&fresh);
      return StoreResult::kNotStored;
    case StoreMode::kCas:
      if (cas == CasCheck::kMatch) {
        bump(stats.cas_hits);
        bump(old_class.cas_hits);
        a.link(&fresh);
        return StoreResult::kStored;
      }
      if (cas == CasCheck::kStale) {
        // A stale value keeps the old TTL and win-token state, marked stale.
        bump(stats.cas_hits);
        bump(old_class.cas_hits);
        const store::RelTime exptime = old->exptime();
        fresh.setStale(true);
        fresh.setWinTokenSent(old->winTokenSent());
        a.link(&fresh);
        a.setExptime(exptime);
        return StoreResult::kStored;
      }
      bump(stats.cas_badval);
      bump(old_class.cas_badval);
      a.release(&fresh);
      return StoreResult::kExists;
    case StoreMode::kAppend:
    case StoreMode::kPrepend:
      if (cas != CasCheck::kNone && cas != CasCheck::kMatch) {
        a.release(&fresh);
        return StoreResult::kExists;
      }
      return combine(a, *old, fresh, r.mode);
    case StoreMode::kReplace:
    case StoreMode::kSet:
      break;
  }
  a.link(&fresh);
  return StoreResult::kStored;
}

}  // namespace

StoreOutcome storeItem(store::Store& store, WorkerStats& stats, const StoreRequest& request) {
  // memcached -C: the new item has no room for the request's cas, so there
  // is nothing to compare (cas answers EXISTS, an append with C stores).
  StoreRequest r = request;
  if (!store.config().use_cas) r.cas = 0;
  const auto value_length = static_cast<uint32_t>(r.block.size() - 2);
  return store.access(r.key, [&](Access& a) {
    const store::Allocation fresh = a.allocate(r.flags, r.exptime, value_length);
    if (!fresh.item) {
      const bool too_large = fresh.error == store::AllocError::kTooLarge;
      bump(too_large ? stats.store_too_large : stats.store_no_memory);
      // Old data must not outlive a refused update.
      if (r.unlink_if_refused && lookupItem(a, stats)) a.unlink();
      return StoreOutcome{too_large ? StoreResult::kTooLarge : StoreResult::kNoMemory, 0};
    }
    bump(stats.cmd_set);
    bump(stats.slabClass(fresh.item->slabClass()).cmd_set);
    if (r.block.substr(value_length) != "\r\n") {
      a.release(fresh.item);
      return StoreOutcome{StoreResult::kBadDataChunk, 0};
    }
    std::memcpy(fresh.item->mutableValue(), r.block.data(), value_length);
    fresh.item->setKeyBinary(r.key_binary);
    const StoreResult result = place(a, *fresh.item, r, stats);
    return StoreOutcome{result, result == StoreResult::kStored ? a.item()->cas() : 0};
  });
}

namespace {

void unlinkRefused(store::Store& store, WorkerStats& stats, std::string_view key, bool unlink) {
  if (!unlink) return;
  store.access(key, [&](Access& a) {
    if (lookupItem(a, stats)) a.unlink();
  });
}

}  // namespace

void refuseTooLarge(store::Store& store, WorkerStats& stats, std::string_view key, bool unlink) {
  bump(stats.store_too_large);
  unlinkRefused(store, stats, key, unlink);
}

void refuseNoMemory(store::Store& store, WorkerStats& stats, std::string_view key, bool unlink) {
  bump(stats.store_no_memory);
  unlinkRefused(store, stats, key, unlink);
}

}  // namespace unbuckle::proto
