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
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/clock.h"

namespace unbuckle::store {

struct StoreConfig {
  size_t memory_limit = 64u << 20;   // item memory, memcached -m
  size_t max_item_size = 1u << 20;   // memcached -I: bounds the whole item
  double growth_factor = 1.25;       // memcached -f
  size_t min_chunk = 48;             // memcached -n
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
  uint8_t slabClass() const;

  // Per-item bits the meta protocol needs; the store only keeps them.
  bool fetched() const;
  void setFetched(bool);
  bool stale() const;
  void setStale(bool);
  bool winTokenSent() const;
  void setWinTokenSent(bool);

 private:
  Item() = default;
  friend class Store;
  friend class Access;
};

enum class AllocError { kNone, kTooLarge, kOutOfMemory };

struct Allocation {
  Item* item = nullptr;       // fresh, not linked; value bytes uninitialised
  AllocError error = AllocError::kNone;
};

// Lock-holding view of one key, handed to the callback of Store::access().
class Access {
 public:
  Item* item();                       // live item or nullptr
  std::string_view key() const;
  // LRU bump and last-access update (a `get` hit); `mg u` skips it.
  void bump();
  // Fresh item for this key. May evict other items (LRU tail of its size
  // class), never the current one. kTooLarge if the whole item exceeds
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

// Snapshot counters for `stats`, `stats items`, `stats slabs`.
struct SlabClassStats {
  uint32_t id = 0;
  uint32_t chunk_size = 0;
  uint32_t chunks_per_page = 0;
  uint64_t total_pages = 0;
  uint64_t total_chunks = 0;
  uint64_t used_chunks = 0;
  uint64_t free_chunks = 0;
  uint64_t mem_requested = 0;
  uint64_t items = 0;             // linked items
  RelTime oldest_age = 0;         // age of the LRU tail
  uint64_t evicted = 0;
  uint64_t evicted_nonzero = 0;
  RelTime evicted_time = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t expired_unfetched = 0;
  uint64_t outofmemory = 0;
  uint64_t reclaimed = 0;
  uint64_t crawler_reclaimed = 0;
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
  std::vector<SlabClassStats> classes;   // only classes that have pages
};

class Store {
 public:
  explicit Store(const StoreConfig& config, Clock& clock);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Locks the key's shard, runs fn(Access&), unlocks; returns fn's result.
  template <typename Fn>
  auto access(std::string_view key, Fn&& fn);

  // memcached's flush_all: items last touched at or before `oldest_live`
  // become invalid once now() >= oldest_live.
  void flushAll(RelTime oldest_live);

  // One step of the background crawler: unlinks up to `budget` expired or
  // flushed items from the LRU tails. Returns how many it reclaimed.
  size_t crawl(size_t budget);

  StoreStats stats() const;
  const StoreConfig& config() const;

  // Largest value length that fits max_item_size for this key and flags
  // (used for `stats settings` and for early refusal of huge sets).
  bool fits(size_t key_length, uint32_t flags, size_t value_length) const;

 private:
  struct Impl;
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
