// The item store: memcached's data model (items with flags, exptime, cas) kept
// as pre-built GET replies in one arena. It knows nothing about sockets,
// umem or BPF; the protocol engine decides what a command means and uses
// Store::access() to read and change items atomically per key.
//
// CONTRACT (the protocol engine codes against this; change it with care):
//
//  * Times are "relative seconds" (RelTime) as memcached's current_time:
//    seconds since the store's clock started. 0 as an exptime means never.
//    The engine converts protocol exptimes to RelTime; the store only
//    compares them with Clock::now().
//  * Store::access(key, fn) locks the key's shard and calls fn(Access&).
//    Everything done through Access is atomic with respect to other
//    accesses of the same key. fn must not call back into the Store.
//  * Access::item() is the live item for the key or nullptr. Expired and
//    flushed items are unlinked lazily there and never returned.
//  * An item's reply() is exactly the bytes memcached sends for a single-key
//    `get` hit: "VALUE <key> <flags> <bytes>\r\n<data>\r\nEND\r\n".
//    header() is "VALUE <key> <flags> <bytes>" (no CRLF) so that `gets` can
//    append " <cas>\r\n"; value() is <data> without its CRLF.
//  * Replacing an item: allocate() a fresh one, fill its value bytes, then
//    link() it. link() gives it a new cas and replaces the old one (which is
//    freed). allocate() never evicts the Access's current item.
//  * Keys are at most kMaxKeyLength bytes (memcached's KEY_MAX_LENGTH); the
//    engine refuses longer ones, allocate() answers kTooLarge for them.
//
// Layout, locking and the allocator are described at the top of store.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"
#include "store/clock.h"
#include "store/item_observer.h"

namespace unbuckle::store {

inline constexpr size_t kMaxKeyLength = 250;

class HashIndex;
class SizeClass;
class StoreCore;

struct StoreConfig {
  size_t memory_limit = 64u << 20;   // item memory, memcached -m
  size_t max_item_size = 1u << 20;   // memcached -I: bounds the whole item
  double growth_factor = 1.25;       // memcached -f
  // memcached -M off: a set that finds no free chunk evicts a live item.
  // With evictions off it may still reclaim expired and flushed ones (as
  // memcached -M does), and otherwise fails with kOutOfMemory.
  bool evictions = true;
  size_t min_chunk = 48;             // memcached -n
  // false is memcached -C: items carry no cas (Item::cas() is 0, link() and
  // setCas() keep it 0) and memcached's size rule counts 8 bytes less.
  bool use_cas = true;
  // The page mover (page_mover.h) at start-up, as memcached's -o
  // slab_automove (0..2), slab_automove_ratio (0 < r <= 1) and
  // slab_automove_window (seconds of history, at least 3).
  uint32_t automove = 1;
  double automove_ratio = 0.8;
  uint32_t automove_window = 30;
  // Memory for the item arena, at least Store::arenaBytes(config) bytes and
  // 8-byte aligned, borrowed for the store's lifetime. Empty (as the daemon
  // leaves it): the store maps its own.
  std::span<std::byte> arena_memory;
};

class Item {
 public:
  std::string_view key() const;
  uint32_t flags() const;
  RelTime exptime() const;   // 0 = never
  uint64_t cas() const;
  uint32_t valueLength() const;      // <bytes> as declared, without CRLF
  std::string_view value() const;    // <data>
  char* mutableValue();              // for filling a fresh item or in-place incr/decr
  std::string_view reply() const;    // "VALUE k f n\r\n<data>\r\nEND\r\n"
  std::string_view header() const;   // "VALUE k f n"
  RelTime lastAccess() const;
  uint8_t slabClass() const;         // 1-based, as memcached's slab class ids

  // Per-item bits the meta protocol needs; the store only keeps them.
  bool fetched() const;
  void setFetched(bool);
  bool stale() const;
  void setStale(bool);
  bool winTokenSent() const;
  void setWinTokenSent(bool);
  // The key came base64-encoded (meta `b` flag); `mg k` echoes it encoded.
  bool keyBinary() const;
  void setKeyBinary(bool);
  // In memcached's temporary LRU (see Store::setTemporaryLru): decided when
  // the item is allocated, never evicted, only reclaimed once dead.
  bool temporary() const;

  // Bytes the item occupies in its chunk: this header plus reply().
  size_t totalSize() const { return sizeof(Item) + replyLength(); }

 private:
  Item() = default;
  friend class Store;
  friend class Access;
  friend class HashIndex;
  friend class SizeClass;
  friend class StoreCore;
  friend class PageMover;

  enum Bit : uint8_t { kFetched = 1, kStale = 2, kWinTokenSent = 4, kKeyBinary = 8, kTemporary = 16 };
  static constexpr size_t kKeyOffset = 6;      // after "VALUE "
  static constexpr size_t kReplyTrailer = 7;   // "\r\nEND\r\n"

  const char* replyBytes() const { return reinterpret_cast<const char*>(this + 1); }
  char* replyBytes() { return reinterpret_cast<char*>(this + 1); }
  size_t replyLength() const { return size_t{value_offset_} + value_length_ + kReplyTrailer; }
  void setBit(Bit bit, bool on) { bits_ = on ? (bits_ | bit) : (bits_ & ~bit); }

  // The item header; reply() follows it in the same chunk. Links are arena
  // references (see arena.h), not pointers, to keep the header at 40 bytes.
  uint64_t cas_;
  uint32_t hash_next_;      // next item in the hash bucket; free-list link while free
  uint32_t lru_prev_;       // towards the LRU head (more recently used)
  uint32_t lru_next_;       // towards the LRU tail
  RelTime exptime_;
  RelTime time_;            // last access (link, or a bump that relinked)
  uint32_t value_length_;
  uint16_t value_offset_;   // where <data> starts in reply()
  uint8_t key_length_;
  uint8_t class_id_;
  uint8_t bits_;
  uint8_t chunk_state_;     // ChunkState (size_class.h); guarded by the class mutex
};

inline std::string_view Item::key() const { return {replyBytes() + kKeyOffset, key_length_}; }
inline RelTime Item::exptime() const { return exptime_; }
inline uint64_t Item::cas() const { return cas_; }
inline uint32_t Item::valueLength() const { return value_length_; }
inline std::string_view Item::value() const { return {replyBytes() + value_offset_, value_length_}; }
inline char* Item::mutableValue() { return replyBytes() + value_offset_; }
inline std::string_view Item::reply() const { return {replyBytes(), replyLength()}; }
inline std::string_view Item::header() const { return {replyBytes(), value_offset_ - 2u}; }
inline RelTime Item::lastAccess() const { return time_; }
inline uint8_t Item::slabClass() const { return class_id_; }
inline bool Item::fetched() const { return bits_ & kFetched; }
inline void Item::setFetched(bool on) { setBit(kFetched, on); }
inline bool Item::stale() const { return bits_ & kStale; }
inline void Item::setStale(bool on) { setBit(kStale, on); }
inline bool Item::winTokenSent() const { return bits_ & kWinTokenSent; }
inline void Item::setWinTokenSent(bool on) { setBit(kWinTokenSent, on); }
inline bool Item::keyBinary() const { return bits_ & kKeyBinary; }
inline void Item::setKeyBinary(bool on) { setBit(kKeyBinary, on); }
inline bool Item::temporary() const { return bits_ & kTemporary; }

enum class AllocError { kNone, kTooLarge, kOutOfMemory };

struct Allocation {
  Item* item = nullptr;       // fresh, not linked; value bytes uninitialised
  AllocError error = AllocError::kNone;
};

// Why Access::item() found no live item (memcached's get_expired and
// get_flushed count the last two).
enum class Miss { kAbsent, kExpired, kFlushed };

// Lock-holding view of one key, handed to the callback of Store::access().
class Access {
 public:
  Item* item();                       // live item or nullptr
  Miss miss() const;                  // after item() returned nullptr: why
  std::string_view key() const;
  // LRU bump and last-access update (a `get` hit); `mg u` skips it. Marks
  // the item fetched; relinks it (and moves lastAccess) only when the last
  // relink is more than 60 s old, as memcached's ITEM_UPDATE_INTERVAL.
  void bump();
  // Fresh item for this key. May evict other items (LRU tail of its size
  // class), never the current one nor a temporary one. kTooLarge if the whole item exceeds
  // max_item_size; kOutOfMemory if nothing could be evicted.
  Allocation allocate(uint32_t flags, RelTime exptime, uint32_t value_length);
  // Links a fresh item for this key (new cas), replacing and freeing the
  // current one. `cas` = 0 assigns the next unique; else that value.
  void link(Item* fresh, uint64_t cas = 0);
  // Releases an allocated item that will not be linked.
  void release(Item* fresh);
  void unlink();                      // delete the current item
  void setExptime(RelTime exptime);   // touch
  void setCas(uint64_t cas);          // after in-place incr/decr; 0 = next unique
  RelTime now() const;

 private:
  friend class Store;
  Access() = default;
  void* impl_ = nullptr;
};

// What one size class counts (kept by the class under its mutex).
struct SizeClassCounters {
  uint64_t total_pages = 0;
  uint64_t used_chunks = 0;
  uint64_t mem_requested = 0;   // sum of totalSize() of chunks in use
  uint64_t items = 0;           // linked
  uint64_t temp_items = 0;      // linked in the temporary LRU (part of items)
  uint64_t bytes = 0;           // sum of totalSize() of linked items
  uint64_t total_items = 0;
  uint64_t evicted = 0;
  uint64_t evicted_nonzero = 0;
  RelTime evicted_time = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t expired_unfetched = 0;
  uint64_t outofmemory = 0;
  uint64_t reclaimed = 0;
  uint64_t crawler_reclaimed = 0;
  uint64_t crawler_items_checked = 0;
  // Allocations that had to free a chunk from the LRU tail first (memcached
  // counts each round of its pull-tail-then-alloc loop).
  uint64_t direct_reclaims = 0;
  uint64_t pages_moved_out = 0;   // pages given to other classes
};

// Snapshot counters for `stats`, `stats items`, `stats slabs`.
struct SlabClassStats : SizeClassCounters {
  uint32_t id = 0;
  uint32_t chunk_size = 0;
  uint32_t chunks_per_page = 0;
  uint64_t total_chunks = 0;
  uint64_t free_chunks = 0;
  RelTime oldest_age = 0;         // age of the LRU tail
};

struct StoreStats {
  uint64_t curr_items = 0;
  uint64_t total_items = 0;       // ever linked
  uint64_t bytes = 0;             // memcached's "bytes": sum of item sizes
  uint64_t evictions = 0;
  uint64_t reclaimed = 0;
  uint64_t expired_unfetched = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t crawler_reclaimed = 0;
  uint64_t crawler_items_checked = 0;
  uint64_t total_malloced = 0;    // bytes of pages handed to classes
  uint64_t limit_maxbytes = 0;
  uint32_t hash_power_level = 0;
  uint64_t hash_bytes = 0;
  bool hash_is_expanding = false;
  uint64_t slabs_moved = 0;       // pages that left a class (to another class or the pool)
  // The page mover (page_mover.h), in memcached's names.
  uint64_t slab_reassign_rescues = 0;          // live items copied off a leaving page
  // Every item is one chunk here (no chunked items): nothing to rescue chunk-wise.
  uint64_t slab_reassign_chunk_rescues = 0;
  uint64_t slab_reassign_evictions_nomem = 0;  // live items dropped, no free chunk to rescue them into
  uint64_t slab_reassign_inline_reclaim = 0;   // free chunks of a leaving page taken off the free list
  uint64_t slab_reassign_busy_items = 0;       // chunks found in use by another thread, waited for
  // memcached unlinks items that stay referenced too long; here a busy item
  // is waited for until the move's deadline, never deleted.
  uint64_t slab_reassign_busy_deletes = 0;
  bool slab_reassign_running = false;
  uint32_t slab_automove = 1;                  // the mover's mode (`slabs automove`)
  double slab_automove_ratio = 0.8;            // `slabs automove ratio`
  uint32_t slab_automove_window = 30;
  uint64_t slab_global_page_pool = 0;          // free pages in no class
  bool lru_crawler_running = false;   // a crawler pass is part-way up some class's LRU
  uint64_t lru_crawler_starts = 0;    // crawler passes begun over all classes
  uint64_t lru_maintainer_juggles = 0;   // reclaimTails() passes
  uint64_t direct_reclaims = 0;
  std::vector<SlabClassStats> classes;   // only classes that have pages
};

// memcached's `slabs reassign` answers (its 1.6.18 reassign_result_type).
enum class Reassign { kOk, kBusy, kBadClass, kNoSpare, kSame };

enum class MemoryLimitChange {
  kOk,
  kTooSmall,     // below one page
  kTooLarge,     // above kMaxMemoryLimit
  kCannotGrow,   // beyond the arena: lent memory, or an own arena the kernel refused to reserve past the start-up limit
};

class Store {
 public:
  // Largest memory_limit: items link by 32-bit references in 8-byte units.
  static constexpr size_t kMaxMemoryLimit = size_t{UINT32_MAX} * 8;

  // Why the store cannot honour `config`, or true: memory_limit above
  // kMaxMemoryLimit or below one page, max_item_size below 1 KiB,
  // growth_factor <= 1, an automove setting outside memcached's range,
  // arena_memory too small or misaligned.
  static Result<bool> check(const StoreConfig& config);
  // A store for `config`, or why not: what check() refuses, or the arena
  // the kernel would not map (with its errno).
  static Result<std::unique_ptr<Store>> create(const StoreConfig& config, Clock& clock);
  // As create(), for a config check() accepts (tests, tools): a failure
  // ends the process with its reason on stderr.
  explicit Store(const StoreConfig& config, Clock& clock);
  // The bytes of item arena a `config` check() accepts needs: memory_limit
  // in whole pages (each a little larger than max_item_size).
  static size_t arenaBytes(const StoreConfig& config);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Locks the key's shard, runs fn(Access&), unlocks; returns fn's result.
  template <typename Fn>
  auto access(std::string_view key, Fn&& fn);

  // memcached's flush_all with its settings.oldest_live: items last touched
  // at or before `oldest_live` become invalid once now() >= oldest_live; 0
  // flushes nothing. With use_cas, a flush due at once (oldest_live <=
  // now()) uses up one cas unique, as memcached's oldest_cas, and every item
  // with a lower cas becomes invalid too. (memcached passes its flush time
  // minus one with cas, so a set in the flush's own second survives; without
  // cas it passes the flush time, and such a set is flushed.)
  void flushAll(RelTime oldest_live, bool use_cas = true);

  // One step of the background crawler: checks up to `budget` items, walking
  // each class's LRU from the tail and resuming where the last call stopped,
  // and unlinks the expired or flushed ones. Returns how many it reclaimed.
  size_t crawl(size_t budget);
  // memcached's LRU maintainer pulling the LRU tails: unlinks the expired
  // and flushed items at each class's tail (up to the first live one, at
  // most `budget` in all) as `reclaimed`. Returns how many.
  size_t reclaimTails(size_t budget);

  // One step of the page mover (memcached's slab automover, page_mover.h),
  // for the maintenance thread about once a second. Returns pages moved.
  size_t movePages();
  // memcached's `slabs reassign <src> <dst>`: moves a page of class src (-1:
  // any class with two pages or more) to class dst (0: the global pool),
  // before it returns.
  Reassign reassign(int src, int dst);
  // memcached's `slabs automove`: 0 off, 1 (default) its automover, 2 a
  // page for every class that evicts.
  void setAutomove(uint32_t mode);
  // memcached's `slabs automove ratio` (default 0.8).
  void setAutomoveRatio(double ratio);
  // memcached's cache_memlimit. Growing needs room in the arena (an own
  // arena reserves address space for kMaxMemoryLimit; lent memory cannot
  // grow); shrinking releases free pages now and the mover frees more as
  // whole pages of chunks fall free.
  MemoryLimitChange setMemoryLimit(size_t bytes);

  // memcached's temporary LRU (-o temporary_ttl, `lru temp_ttl`): while on,
  // an item allocated with an exptime 0 < exptime - now() <= ttl (memcached's
  // unsigned test in do_item_alloc) goes to its class's temporary LRU, where
  // it is never evicted to make room, only reclaimed once expired or flushed.
  // Off (the default, ttl 61 as memcached's) every item is evictable; turning
  // it off keeps the ttl and leaves items already temporary where they are.
  void setTemporaryLru(bool on, uint32_t ttl);
  struct TemporaryLru {
    bool on = false;
    uint32_t ttl = 61;
  };
  TemporaryLru temporaryLru() const;

  StoreStats stats() const;
  // memcached's `stats reset` for the store: total_items, the eviction,
  // reclaim, crawler and direct-reclaim counters start again from 0 (item
  // counts, pages and the memory in use stay what they are).
  void resetStats();
  const StoreConfig& config() const;
  // The clock the store was built with (the engine converts exptimes with it).
  const Clock& clock() const;
  // Tells `observer` of every change, read and flush of items from now on
  // (item_observer.h); nullptr (the default) tells nobody. Set it before
  // the store serves, not while accesses run.
  void setObserver(ItemObserver* observer);

  // Whether an item with this key length, flags and value length stays
  // within max_item_size (for early refusal of huge sets). Items whose key
  // exceeds kMaxKeyLength never fit.
  bool fits(size_t key_length, size_t value_length) const;

  // For the dump commands (`stats cachedump`, `lru_crawler metadump`): what
  // they show of one item, copied under its locks.
  struct ItemSnapshot {
    std::string key;
    bool key_binary = false;
    uint32_t value_length = 0;
    RelTime exptime = 0;       // 0 = never
    RelTime last_access = 0;
    uint64_t cas = 0;
    bool fetched = false;
    bool flushed = false;      // dead by flush_all, not yet unlinked
    uint8_t class_id = 0;
    size_t total_size = 0;     // Item::totalSize()
  };
  // The first `limit` items of class `class_id` from its LRU head (most
  // recent first), expired and flushed ones included as memcached shows
  // them; not those of the temporary LRU (memcached shows its COLD LRU). The class is locked while their places are read, not while the
  // snapshots are taken; an item replaced meanwhile is left out.
  std::vector<ItemSnapshot> classHead(uint8_t class_id, size_t limit) const;
  // Every linked item, one index shard (1/256 of the items) at a time:
  // fn runs with no lock held.
  void forEachItem(const std::function<void(const ItemSnapshot&)>& fn) const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  void lockedAccess(std::string_view key, void (*thunk)(void*, Access&), void* ctx);
};

template <typename Fn>
auto Store::access(std::string_view key, Fn&& fn) {
  using R = decltype(fn(std::declval<Access&>()));
  if constexpr (std::is_void_v<R>) {
    lockedAccess(key, [](void* c, Access& a) { (*static_cast<Fn*>(c))(a); }, &fn);
  } else {
    R result{};
    auto wrapper = [&](Access& a) { result = fn(a); };
    lockedAccess(
        key, [](void* c, Access& a) { (*static_cast<decltype(wrapper)*>(c))(a); }, &wrapper);
    return result;
  }
}

}  // namespace unbuckle::store
