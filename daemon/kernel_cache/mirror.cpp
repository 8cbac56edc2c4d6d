#include "kernel_cache/mirror.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "store/store.h"

namespace unbuckle::kernel_cache {

namespace {

constexpr uint32_t kNone = UINT32_MAX;
constexpr int kReadAttempts = 3;   // a slot that keeps changing under a read is another key's
constexpr size_t kKeyWords = UNBUCKLE_KC_KEY_ROOM / 8;

// Slot fields the daemon's own threads read while another may write them
// are accessed as relaxed atomics; the sequence counter orders them.
template <typename T>
T load(const T& field) {
  return std::atomic_ref<T>(const_cast<T&>(field)).load(std::memory_order_relaxed);
}

template <typename T, typename V>
void put(T& field, V value) {
  std::atomic_ref<T>(field).store(static_cast<T>(value), std::memory_order_relaxed);
}

std::atomic_ref<__u32> seqOf(unbuckle_kc_slot& slot) { return std::atomic_ref<__u32>(slot.seq); }

__u64* keyWords(unbuckle_kc_slot& slot) { return reinterpret_cast<__u64*>(slot.key); }
__u64* replyWords(unbuckle_kc_slot& slot) { return reinterpret_cast<__u64*>(slot.reply); }

bool isTemporary(const unbuckle_kc_slot& slot) { return (load(slot.item_flags) & UNBUCKLE_KC_ITEM_TEMPORARY) != 0; }

// bpf_abi.h's reply_sum: ones' complement sum of big-endian 16-bit words.
uint16_t replySum(std::string_view reply) {
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 1 < reply.size(); i += 2) {
    sum += (uint32_t{static_cast<uint8_t>(reply[i])} << 8) | static_cast<uint8_t>(reply[i + 1]);
  }
  if (i < reply.size()) sum += uint32_t{static_cast<uint8_t>(reply[i])} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

}  // namespace

// The key as the slot and the hash hold it: zero-padded 8-byte words.
struct Mirror::PaddedKey {
  explicit PaddedKey(std::string_view key) : length(static_cast<uint16_t>(key.size())) {
    std::memcpy(words.data(), key.data(), std::min(key.size(), sizeof(words)));
    hash = unbuckle_kc_hash(words.data(), length);
  }
  size_t usedWords() const { return (length + 7u) / 8u; }

  std::array<__u64, kKeyWords> words{};
  uint16_t length;
  uint64_t hash;
};

// A slot holding the key, as read under its sequence counter.
struct Mirror::Found {
  uint32_t index = kNone;
  uint32_t seq = 0;
  uint32_t generation = 0;
  uint64_t expires_ns = 0;
};

Result<bool> Mirror::check(const MirrorMemory& memory) {
  if (memory.slots == nullptr || memory.hits == nullptr || memory.state == nullptr) {
    return Error{"kernel cache: slot, hit and state arrays are all needed"};
  }
  if (memory.entries < UNBUCKLE_KC_WAYS || (memory.entries & (memory.entries - 1)) != 0) {
    return Error{"kernel cache: the number of entries must be a power of two, at least " +
                 std::to_string(UNBUCKLE_KC_WAYS)};
  }
  return true;
}

Result<std::unique_ptr<Mirror>> Mirror::create(MirrorMemory memory, const store::Clock& clock) {
  if (auto checked = check(memory); !checked.ok()) return checked.failure();
  return std::make_unique<Mirror>(memory, clock);
}

Mirror::Mirror(MirrorMemory memory, const store::Clock& clock)
    : memory_(memory), clock_(clock), set_mask_(memory.entries / UNBUCKLE_KC_WAYS - 1) {
  valueOrAbort(check(memory));
  activity_ns_ = std::make_unique<std::atomic<uint64_t>[]>(memory.entries);
}

// Nothing written here is kept in step any more: XDP must stop answering it.
Mirror::~Mirror() {
  std::atomic_ref<__u32>(memory_.state->generation).fetch_add(1, std::memory_order_release);
}

uint64_t Mirror::nowNs() const { return clock_.monotonicNs(clock_.now()); }

Mirror::Found Mirror::find(const PaddedKey& key) const {
  const uint32_t base = static_cast<uint32_t>(key.hash & set_mask_) * UNBUCKLE_KC_WAYS;
  for (uint32_t i = base; i < base + UNBUCKLE_KC_WAYS; ++i) {
    unbuckle_kc_slot& slot = memory_.slots[i];
    for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
      // Odd: another thread is writing it, and only this key's lock holder
      // ever writes this key: whatever it writes is not this key.
      const uint32_t seq = seqOf(slot).load(std::memory_order_acquire);
      if (seq & 1) break;
      bool same = load(slot.key_len) == key.length && load(slot.key_hash) == key.hash;
      for (size_t w = 0; same && w < key.usedWords(); ++w) same = load(keyWords(slot)[w]) == key.words[w];
      Found found{i, seq, load(slot.generation), load(slot.expires_ns)};
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seqOf(slot).load(std::memory_order_relaxed) != seq) continue;
      if (same) return found;
      break;
    }
  }
  return {};
}

uint64_t Mirror::takeSlotHits(uint32_t index, uint8_t class_id, bool temporary) {
  const uint64_t hits = std::atomic_ref<__u64>(memory_.hits[index].hits).exchange(0, std::memory_order_relaxed);
  if (hits == 0) return 0;
  class_hits_[class_id % class_hits_.size()].fetch_add(hits, std::memory_order_relaxed);
  if (temporary) class_temp_hits_[class_id % class_temp_hits_.size()].fetch_add(hits, std::memory_order_relaxed);
  return hits;
}

Mirror::Wrote Mirror::write(uint32_t index, uint32_t seen_seq, const store::Item& item, const PaddedKey& key,
                            const store::ItemLiveness& liveness, bool fresh) {
  unbuckle_kc_slot& slot = memory_.slots[index];
  uint32_t expected = seen_seq;
  if (!seqOf(slot).compare_exchange_strong(expected, seen_seq + 1, std::memory_order_acquire,
                                           std::memory_order_relaxed)) {
    return Wrote::kSlotTaken;
  }
  std::atomic_thread_fence(std::memory_order_release);
  // Hits of what the slot held before another item: stats only.
  if (fresh) takeSlotHits(index, slot.slab_class, isTemporary(slot));

  // The generation first, then the store's marks (see mirror.h).
  const uint32_t generation =
      std::atomic_ref<__u32>(memory_.state->generation).load(std::memory_order_acquire);
  const store::RelTime pending = pending_flush_.load(std::memory_order_acquire);
  if (!liveness.live(item)) {
    put(slot.key_len, uint16_t{0});
    put(slot.reply_len, uint16_t{0});
    seqOf(slot).store(seen_seq + 2, std::memory_order_release);
    invalidated_.fetch_add(1, std::memory_order_relaxed);
    return Wrote::kEmptied;
  }
  store::RelTime death = item.exptime();
  if (pending != 0 && item.lastAccess() <= pending) death = death == 0 ? pending : std::min(death, pending);
  uint64_t expires_ns = 0;
  if (death != 0) {
    const uint64_t death_ns = clock_.monotonicNs(death);
    expires_ns = death_ns > store::Clock::kNsPerSecond ? death_ns - store::Clock::kNsPerSecond : 1;
  }

  const std::string_view reply = item.reply();
  std::array<__u64, UNBUCKLE_KC_REPLY_MAX / 8> reply_words{};   // zero-padded to whole words
  std::memcpy(reply_words.data(), reply.data(), reply.size());
  for (size_t w = 0; w < kKeyWords; ++w) put(keyWords(slot)[w], key.words[w]);
  for (size_t w = 0; w < (reply.size() + 7) / 8; ++w) put(replyWords(slot)[w], reply_words[w]);
  put(slot.key_len, key.length);
  put(slot.reply_len, static_cast<uint16_t>(reply.size()));
  put(slot.key_hash, key.hash);
  put(slot.expires_ns, expires_ns);
  put(slot.cas, item.cas());
  put(slot.generation, generation);
  put(slot.reply_sum, replySum(reply));
  put(slot.slab_class, item.slabClass());
  put(slot.item_flags, item.temporary() ? UNBUCKLE_KC_ITEM_TEMPORARY : 0);
  activity_ns_[index].store(nowNs(), std::memory_order_relaxed);
  seqOf(slot).store(seen_seq + 2, std::memory_order_release);
  return Wrote::kItem;
}

void Mirror::invalidate(uint32_t index, uint32_t seen_seq) {
  unbuckle_kc_slot& slot = memory_.slots[index];
  uint32_t expected = seen_seq;
  // A failed swap means another thread gave the slot to another key.
  if (!seqOf(slot).compare_exchange_strong(expected, seen_seq + 1, std::memory_order_acquire,
                                           std::memory_order_relaxed)) {
    return;
  }
  std::atomic_thread_fence(std::memory_order_release);
  put(slot.key_len, uint16_t{0});
  put(slot.reply_len, uint16_t{0});
  takeSlotHits(index, slot.slab_class, isTemporary(slot));
  seqOf(slot).store(seen_seq + 2, std::memory_order_release);
  invalidated_.fetch_add(1, std::memory_order_relaxed);
}

void Mirror::admit(const store::Item& item, const PaddedKey& key, const store::ItemLiveness& liveness) {
  const uint32_t base = static_cast<uint32_t>(key.hash & set_mask_) * UNBUCKLE_KC_WAYS;
  const uint32_t generation =
      std::atomic_ref<__u32>(memory_.state->generation).load(std::memory_order_acquire);
  const uint64_t now = nowNs();
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    uint32_t victim = kNone;
    uint32_t victim_seq = 0;
    uint64_t victim_activity = UINT64_MAX;
    for (uint32_t i = base; i < base + UNBUCKLE_KC_WAYS && victim_activity != 0; ++i) {
      unbuckle_kc_slot& slot = memory_.slots[i];
      const uint32_t seq = seqOf(slot).load(std::memory_order_acquire);
      if (seq & 1) continue;
      const bool empty = load(slot.key_len) == 0;
      const uint64_t expires_ns = load(slot.expires_ns);
      const bool dead = empty || load(slot.generation) != generation || (expires_ns != 0 && expires_ns <= now);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seqOf(slot).load(std::memory_order_relaxed) != seq) continue;
      const uint64_t activity =
          dead ? 0
               : std::max<uint64_t>(load(memory_.hits[i].last_hit_ns), activity_ns_[i].load(std::memory_order_relaxed));
      if (activity < victim_activity) {
        victim = i;
        victim_seq = seq;
        victim_activity = activity;
      }
    }
    if (victim == kNone) return;   // every way busy: not admitted this time
    const Wrote wrote = write(victim, victim_seq, item, key, liveness, true);
    if (wrote == Wrote::kItem) admitted_.fetch_add(1, std::memory_order_relaxed);
    if (wrote != Wrote::kSlotTaken) return;
  }
}

void Mirror::itemLinked(const store::Item& item, const store::ItemLiveness& liveness) {
  const PaddedKey key(item.key());
  const bool too_big = item.reply().size() > UNBUCKLE_KC_REPLY_MAX;
  if (too_big) not_admitted_too_big_.fetch_add(1, std::memory_order_relaxed);
  for (;;) {
    const Found found = find(key);
    if (found.index == kNone) break;
    if (too_big) {
      invalidate(found.index, found.seq);
      continue;
    }
    const Wrote wrote = write(found.index, found.seq, item, key, liveness, true);
    if (wrote == Wrote::kItem) refreshed_.fetch_add(1, std::memory_order_relaxed);
    if (wrote != Wrote::kSlotTaken) return;
  }
  if (!too_big) admit(item, key, liveness);
}

void Mirror::itemModified(const store::Item& item, const store::ItemLiveness& liveness) {
  const PaddedKey key(item.key());
  for (;;) {
    const Found found = find(key);
    if (found.index == kNone) return;
    const Wrote wrote = write(found.index, found.seq, item, key, liveness, false);
    if (wrote == Wrote::kItem) refreshed_.fetch_add(1, std::memory_order_relaxed);
    if (wrote != Wrote::kSlotTaken) return;
  }
}

void Mirror::itemRemoved(std::string_view key_bytes) {
  const PaddedKey key(key_bytes);
  for (Found found = find(key); found.index != kNone; found = find(key)) invalidate(found.index, found.seq);
}

store::OutsideHits Mirror::takeHits(const store::Item& item) {
  const Found found = find(PaddedKey(item.key()));
  if (found.index == kNone) return {};
  const uint64_t hits = takeSlotHits(found.index, item.slabClass(), item.temporary());
  if (hits == 0) return {};
  const uint64_t last_ns = std::atomic_ref<__u64>(memory_.hits[found.index].last_hit_ns).load(std::memory_order_relaxed);
  return {hits, clock_.relTimeAt(last_ns)};
}

void Mirror::itemFetched(const store::Item& item, const store::ItemLiveness& liveness) {
  const PaddedKey key(item.key());
  const Found found = find(key);
  if (found.index != kNone) {
    const uint32_t generation =
        std::atomic_ref<__u32>(memory_.state->generation).load(std::memory_order_acquire);
    // Of this generation, the slot is the item as it is (every change
    // rewrote it), expired or not: only the time of the read is news.
    if (found.generation == generation) {
      activity_ns_[found.index].store(nowNs(), std::memory_order_relaxed);
      return;
    }
    const Wrote wrote = write(found.index, found.seq, item, key, liveness, true);
    if (wrote == Wrote::kItem) admitted_.fetch_add(1, std::memory_order_relaxed);
    if (wrote != Wrote::kSlotTaken) return;
  }
  if (item.reply().size() > UNBUCKLE_KC_REPLY_MAX) {
    not_admitted_too_big_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  admit(item, key, liveness);
}

void Mirror::flushed(store::RelTime pending) {
  pending_flush_.store(pending, std::memory_order_release);
  std::atomic_ref<__u32>(memory_.state->generation).fetch_add(1, std::memory_order_acq_rel);
}

void Mirror::sweepHits(store::Store& store) {
  for (uint32_t i = 0; i < memory_.entries; ++i) {
    if (std::atomic_ref<__u64>(memory_.hits[i].hits).load(std::memory_order_relaxed) == 0) continue;
    unbuckle_kc_slot& slot = memory_.slots[i];
    std::array<__u64, kKeyWords> words{};
    uint16_t length = 0;
    uint8_t class_id = 0;
    bool temporary = false;
    bool whole = false;
    for (int attempt = 0; attempt < kReadAttempts && !whole; ++attempt) {
      const uint32_t seq = seqOf(slot).load(std::memory_order_acquire);
      if (seq & 1) continue;
      length = std::min<uint16_t>(load(slot.key_len), UNBUCKLE_KC_KEY_ROOM);
      class_id = load(slot.slab_class);
      temporary = isTemporary(slot);
      for (size_t w = 0; w < (length + 7u) / 8u; ++w) words[w] = load(keyWords(slot)[w]);
      std::atomic_thread_fence(std::memory_order_acquire);
      whole = seqOf(slot).load(std::memory_order_relaxed) == seq;
    }
    if (!whole) continue;   // being written: the next sweep
    if (length == 0) {
      // Hits XDP counted as the slot was emptied: stats only.
      takeSlotHits(i, class_id, temporary);
      continue;
    }
    // Reading the item takes its hits (takeHits) and folds them in.
    store.access(std::string_view(reinterpret_cast<const char*>(words.data()), length),
                 [](store::Access& a) { a.item(); });
  }
}

MirrorCounters Mirror::counters() const {
  MirrorCounters c;
  const uint32_t generation =
      std::atomic_ref<__u32>(memory_.state->generation).load(std::memory_order_acquire);
  const uint64_t now = nowNs();
  for (uint32_t i = 0; i < memory_.entries; ++i) {
    unbuckle_kc_slot& slot = memory_.slots[i];
    const uint32_t seq = seqOf(slot).load(std::memory_order_acquire);
    if (seq & 1) continue;
    const uint64_t expires_ns = load(slot.expires_ns);
    const bool answers = load(slot.key_len) != 0 && load(slot.generation) == generation &&
                         (expires_ns == 0 || expires_ns > now);
    const uint16_t reply_len = load(slot.reply_len);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (!answers || seqOf(slot).load(std::memory_order_relaxed) != seq) continue;
    ++c.entries;
    c.bytes += reply_len;
  }
  c.admitted = admitted_.load(std::memory_order_relaxed);
  c.refreshed = refreshed_.load(std::memory_order_relaxed);
  c.invalidated = invalidated_.load(std::memory_order_relaxed);
  c.not_admitted_too_big = not_admitted_too_big_.load(std::memory_order_relaxed);
  return c;
}

uint64_t Mirror::classHits(uint8_t class_id) const {
  return class_id < class_hits_.size() ? class_hits_[class_id].load(std::memory_order_relaxed) : 0;
}

uint64_t Mirror::classTempHits(uint8_t class_id) const {
  return class_id < class_temp_hits_.size() ? class_temp_hits_[class_id].load(std::memory_order_relaxed) : 0;
}

void Mirror::setPaused(bool paused) {
  std::atomic_ref<__u32>(memory_.state->paused).store(paused ? 1 : 0, std::memory_order_release);
}

}  // namespace unbuckle::kernel_cache
