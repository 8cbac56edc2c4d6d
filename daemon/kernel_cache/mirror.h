// The daemon's side of the kernel cache: keeps the slots XDP answers GET
// hits from (include/unbuckle/bpf_abi.h) in step with the store, and folds
// the hits XDP served back into the items. It writes plain memory (the
// mmapped BPF arrays; tests hand it ordinary buffers) and knows nothing of
// BPF or sockets.
//
// Why XDP never sends a torn, stale or reused slot
//   * Torn: a slot is a sequence lock. A writer takes it by changing an even
//     seq to odd with a compare-and-swap (so two daemon threads never write
//     one slot together), writes, and stores seq + 2 with release order.
//     XDP copies the slot between two reads of seq and answers only when
//     both are the same even value, so its copy is one whole write.
//   * Reused: the slots are an ARRAY map: its memory is never freed or given
//     to another element while XDP reads it. A slot overwritten with another
//     key under a reader is a changed seq (retry or miss), and XDP compares
//     the key of its copy, so it never answers one key with another's bytes.
//     (A preallocated hash map recycles a deleted element for a new key
//     without any such counter: a reader holding the element could copy
//     the new key's value under the old lookup.)
//   * Stale: every change of a key's item reaches this observer under the
//     key's shard lock before the engine replies (item_observer.h), and is
//     written (or the slot invalidated: key_len 0) before the hook returns.
//     Only the holder of a key's shard lock writes that key into a slot, so
//     a key is in at most one way of its set. Expiry: expires_ns is the
//     item's death less one second (the daemon's clock ticks in whole
//     seconds; XDP treats the last one as a miss). flush_all: an immediate
//     one adds one to the generation: every older slot is a miss at once
//     (O(1)). A delayed one adds one too when it is given (so slots written
//     before it, which know nothing of it, stop answering), and slots
//     written while it is pending die at its instant (expires_ns capped) if
//     their item was last accessed before it, as the store's rule. A writer
//     reads the generation before asking the store whether the item is
//     live: a flush that the writer does not see yet bumps the generation
//     after, which kills the slot; one it sees, it also sees in the store.
//
// Admission (the daemon decides, never traffic): a stored item (link) and a
// daemon GET hit of an item not mirrored are written if the reply fits one
// datagram (UNBUCKLE_KC_REPLY_MAX; else not_admitted_too_big). Victim in
// the key's 4-way set: a way that is empty, of an old generation or expired,
// else the way whose last activity (XDP hit, daemon GET, write) is oldest:
// the set keeps what is read, as an LRU would.
//
// Hits: XDP adds to hits[i] of the slot it served. They are taken (atomic
// exchange) when the daemon reads the item (Access::item()), when eviction
// looks at it, and by sweepHits() once a second, and folded into the item as
// daemon GET hits (fetched, last access, LRU) and into classHits() for the
// per-slab get_hits (and classTempHits() for hits_to_temp: the slot says
// whether its item is in the temporary LRU). Hits of a slot that is invalidated or given to another
// key count in classHits() only; a hit XDP counts just after the daemon
// rewrote its slot counts for the slot's new item. XDP stops answering an
// item a second before it expires, so a sweep every second has folded its
// hits before the store reclaims it (expired_unfetched stays right); an
// eviction, by the LRU or by a page move, takes them first.
//
// Pause: while `stats detail on` XDP answers nothing (setPaused()), so
// that every GET reaches the daemon, which counts it per key prefix. The
// slots are kept in step meanwhile: XDP answers again as soon as it is off.
//
// Wiring: build the Mirror over the mmapped maps (the program's
// cfg_kc_set_mask is entries / UNBUCKLE_KC_WAYS - 1), Store::setObserver()
// it before the store serves and clear that before destroying it, call
// sweepHits() about once a second. classHits() lags XDP's own hit counter
// by up to a sweep: totals (get_hits, cmd_get) come from the XDP counters.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "result.h"
#include "store/clock.h"
#include "store/item_observer.h"
#include "unbuckle/bpf_abi.h"

namespace unbuckle::store {
class Store;
}

namespace unbuckle::kernel_cache {

static_assert(sizeof(unbuckle_kc_slot) == UNBUCKLE_KC_SLOT_SIZE);
static_assert(offsetof(unbuckle_kc_slot, key) == UNBUCKLE_KC_SLOT_HEADER);
static_assert(sizeof(unbuckle_kc_hit) == 16);
static_assert(sizeof(unbuckle_kc_state) == 8);
static_assert(UNBUCKLE_KC_REPLY_MAX % 8 == 0 && UNBUCKLE_KC_REPLY_MAX <= sizeof(unbuckle_kc_slot::reply));

// The three arrays (the mmapped BPF maps), `entries` slots and hit records.
// They must outlive the Mirror, whose destructor bumps the generation so
// that XDP answers nothing it no longer keeps in step.
struct MirrorMemory {
  unbuckle_kc_slot* slots = nullptr;
  unbuckle_kc_hit* hits = nullptr;
  unbuckle_kc_state* state = nullptr;
  uint32_t entries = 0;   // a power of two, at least UNBUCKLE_KC_WAYS
};

struct MirrorCounters {
  uint64_t entries = 0;                // slots XDP may answer from (current generation)
  uint64_t bytes = 0;                  // their reply bytes
  uint64_t admitted = 0;               // items written into a slot they were not in
  uint64_t refreshed = 0;              // slots rewritten for a change of their item
  uint64_t invalidated = 0;            // slots emptied for a removed item
  uint64_t not_admitted_too_big = 0;   // replies longer than UNBUCKLE_KC_REPLY_MAX
};

class Mirror final : public store::ItemObserver {
 public:
  // Why `memory` cannot be mirrored (entries not a power of two >= WAYS, a
  // missing array), or true.
  static Result<bool> check(const MirrorMemory& memory);
  // A mirror of `memory`, or what check() refuses. Starts from the slots as
  // they are (zeroed maps: empty).
  static Result<std::unique_ptr<Mirror>> create(MirrorMemory memory, const store::Clock& clock);
  // As create(), for memory check() accepts (tests): a refusal ends the
  // process with its reason on stderr.
  Mirror(MirrorMemory memory, const store::Clock& clock);
  ~Mirror() override;
  Mirror(const Mirror&) = delete;
  Mirror& operator=(const Mirror&) = delete;

  // Folds every slot's outstanding XDP hits into its item (about once a
  // second, from the maintenance thread).
  void sweepHits(store::Store& store);
  // entries and bytes are counted over the slots at the call.
  MirrorCounters counters() const;
  // GET hits XDP served from items of slab class `class_id`, taken so far
  // (memcached's per-slab get_hits adds them).
  uint64_t classHits(uint8_t class_id) const;
  // Those of them from items in the temporary LRU (hits_to_temp).
  uint64_t classTempHits(uint8_t class_id) const;
  // true: XDP answers nothing from the cache until false. Visible to XDP
  // when it returns.
  void setPaused(bool paused);

  // store::ItemObserver
  void itemLinked(const store::Item& item, const store::ItemLiveness& liveness) override;
  void itemModified(const store::Item& item, const store::ItemLiveness& liveness) override;
  void itemRemoved(std::string_view key) override;
  store::OutsideHits takeHits(const store::Item& item) override;
  void itemFetched(const store::Item& item, const store::ItemLiveness& liveness) override;
  void flushed(store::RelTime pending) override;

 private:
  struct PaddedKey;
  struct Found;
  Found find(const PaddedKey& key) const;
  // kEmptied: the item died (a flush) before it could be published.
  enum class Wrote { kSlotTaken, kItem, kEmptied };
  // Writes `item` into slot `index` if its seq is still `seen_seq` (else
  // kSlotTaken: another thread took it). `fresh`: it held another item.
  Wrote write(uint32_t index, uint32_t seen_seq, const store::Item& item, const PaddedKey& key,
             const store::ItemLiveness& liveness, bool fresh);
  void admit(const store::Item& item, const PaddedKey& key, const store::ItemLiveness& liveness);
  void invalidate(uint32_t index, uint32_t seen_seq);
  uint64_t takeSlotHits(uint32_t index, uint8_t class_id, bool temporary);
  uint64_t nowNs() const;

  MirrorMemory memory_;
  const store::Clock& clock_;
  uint32_t set_mask_;
  std::unique_ptr<std::atomic<uint64_t>[]> activity_ns_;   // last daemon write or GET hit per slot
  std::atomic<store::RelTime> pending_flush_{0};
  std::array<std::atomic<uint64_t>, 64> class_hits_{};
  std::array<std::atomic<uint64_t>, 64> class_temp_hits_{};
  std::atomic<uint64_t> admitted_{0};
  std::atomic<uint64_t> refreshed_{0};
  std::atomic<uint64_t> invalidated_{0};
  std::atomic<uint64_t> not_admitted_too_big_{0};
};

}  // namespace unbuckle::kernel_cache
