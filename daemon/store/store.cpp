// The item store: how the pieces fit and who locks what.
//
// Memory
//   One arena (arena.h) is cut into pages of max(1 MiB, max_item_size) plus
//   kPageSlack bytes, of which memory_limit / max(1 MiB, max_item_size) may
//   be in use (an own arena reserves address space for kMaxMemoryLimit so
//   that cache_memlimit can grow; lent memory holds exactly the limit). A
//   page goes to a size class when that class has no free chunk left. Chunk sizes
//   start at memcached's item header + min_chunk and grow by growth_factor
//   (8-byte aligned): memcached's chunk sizes;
//   the last class is a whole page, so every allowed item fits one chunk.
//
//   Whether an item is allowed is memcached's rule (its 56-byte header and
//   cas, key + 1, value + 2 <= -I), so the largest value is exactly
//   memcached's. Our layout of such an item is up to 18 bytes longer (the
//   flags and length digits), which is what kPageSlack pays for: 64 MB still
//   holds 64 pages, as in memcached.
//
//   page   |chunk|chunk|chunk| ... |chunk|slack|        all chunks of one class
//
//   A class short of chunks takes a page no class owns (page_mover.h: the
//   global pool, else a fresh page while under the memory limit). When
//   there is none it evicts from its own LRU tail; when it has nothing
//   there to evict (no pages yet, as when the item sizes change), it takes
//   a page from the class with the most pages, emptying that page: live
//   items are copied into free chunks of their class where there are any,
//   else evicted. The pages holding what the set's own Access holds are
//   never taken; items other threads hold are waited for, at most 20 ms per
//   attempt, and only then does a set answer out of memory. In the
//   background the page mover (memcached's automover, Store::movePages())
//   sends the pages of classes with more than 2.5 pages of free chunks to
//   the global pool, and `slabs reassign` moves one on request. With
//   evictions off (-M) a set reclaims only expired and flushed items.
//
//   chunk  |Item header, 40 B |VALUE <key> <flags> <bytes>\r\n|<data>|\r\nEND\r\n|unused|
//          |cas, hash link,   |      ^ key at reply offset 6 ^ value_offset_
//          |LRU links, times, |<----------------- reply(): a GET hit, sent as is -------->
//          |lengths, class, bits
//
// Index
//   kShards shards picked by the top bits of the key hash, each with its own
//   mutex and HashIndex (hash_index.h), which grows by incremental rehash.
//
//   shards[h >> 56] -> buckets[h & mask] -> item -> item -> 0    (hash_next_)
//
// LRU
//   One per size class (size_class.h): head is the most recent, eviction
//   takes from the tail. A get relinks an item at most once per 60 s.
//   With the temporary LRU on (setTemporaryLru), items allocated with a
//   short TTL go to a second list per class that eviction never looks at;
//   the crawler, the maintainer's tail pass and lookups reclaim them dead.
//
// Locking
//   shard mutex  guards its index and these fields of its items: hash_next_,
//                cas_, exptime_, bits_, time_ and the value bytes.
//   class mutex  guards the class's pages, free list, leaving page,
//                counters, LRU links (lru_prev_, lru_next_), chunk states
//                (chunk_state_) and crawler cursor.
//   time_ is written with both held (or before the item enters the LRU), so
//   either mutex is enough to read it.
//
//   Order: (mover mutex,) shard, then class, then the page pool's mutex.
//   Whoever holds a class mutex and needs a shard (eviction, the crawler,
//   the page mover) uses try_lock and skips the item when that fails, so no
//   thread ever waits for a shard while holding a class; a page move that
//   needs a busy shard retries with the class released. No thread holds two
//   class mutexes. An
//   item in a class's LRU cannot be unlinked or freed without that class's
//   mutex, so under it an LRU item's key is stable and can be hashed to find
//   the item's shard. Items allocated but not yet linked are in no index and
//   no LRU: only their Access can reach them and eviction cannot take them.
//
//   Expiry and flush are lazy: Access::item(), eviction and crawl() unlink
//   dead items. The flush marks are atomics read without a lock.
#include "store/store.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <array>
#include <charconv>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/arena.h"
#include "store/hash_index.h"
#include "store/key_hash.h"
#include "store/mapped_region.h"
#include "store/page_mover.h"
#include "store/size_class.h"

namespace unbuckle::store {

namespace {

constexpr unsigned kShardBits = 8;
constexpr size_t kShards = size_t{1} << kShardBits;
// 2^8 buckets in each of 2^8 shards: memcached's default hashpower 16.
constexpr unsigned kInitialBucketPower = 8;
constexpr size_t kRehashBucketsPerAccess = 4;
constexpr RelTime kUpdateInterval = 60;   // memcached's ITEM_UPDATE_INTERVAL
constexpr int kTailSearch = 5;            // LRU tail items tried per allocation
constexpr int kPageMoveAttempts = 4;      // rounds of "evict, else move a page" per allocation
constexpr size_t kCrawlBatch = 64;        // items checked per class-lock hold
constexpr size_t kMinPageSize = size_t{1} << 20;
constexpr size_t kMinItemSizeLimit = 1024;
constexpr size_t kMaxClasses = 63;        // ids 1..63, as memcached
constexpr std::string_view kValuePrefix = "VALUE ";
constexpr std::string_view kReplyEnd = "\r\nEND\r\n";

size_t alignUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

size_t decimalDigits(uint64_t v) {
  size_t digits = 1;
  while (v >= 10) {
    v /= 10;
    ++digits;
  }
  return digits;
}

// "VALUE <key> <flags> <bytes>\r\n<data>\r\nEND\r\n"
size_t replyLength(size_t key_length, uint32_t flags, size_t value_length) {
  return kValuePrefix.size() + key_length + 1 + decimalDigits(flags) + 1 + decimalDigits(value_length) + 2 +
         value_length + kReplyEnd.size();
}

// memcached's item_size_ok(): sizeof(item) + cas + key + 1 + value + 2.
constexpr size_t kMemcachedItemHeader = 48;
constexpr size_t kMemcachedCas = 8;
constexpr size_t kPageSlack = 24;

size_t basePageSize(const StoreConfig& config) {
  return std::max(kMinPageSize, alignUp(config.max_item_size, Arena::kAlignment));
}

size_t pageSizeFor(const StoreConfig& config) { return basePageSize(config) + kPageSlack; }

size_t regionSizeFor(const StoreConfig& config) {
  return config.memory_limit / basePageSize(config) * pageSizeFor(config);
}

size_t pageLimitFor(const StoreConfig& config, size_t memory_limit) { return memory_limit / basePageSize(config); }

// An own arena reserves address space for the largest memory limit, so that
// cache_memlimit can grow it; memory is committed only as pages fill. Where
// the kernel refuses such a reservation (strict overcommit, an address-space
// limit), the arena is the memory limit and cannot grow.
Result<std::optional<MappedRegion>> ownRegionFor(const StoreConfig& config) {
  if (!config.arena_memory.empty()) return std::optional<MappedRegion>();
  StoreConfig largest = config;
  largest.memory_limit = Store::kMaxMemoryLimit;
  auto growable = MappedRegion::create(std::min(regionSizeFor(largest), Arena::kMaxBytes), "the item arena");
  if (growable.ok()) return std::optional<MappedRegion>(std::move(growable.value()));
  auto fixed = MappedRegion::create(regionSizeFor(config), "the item arena");
  if (!fixed.ok()) return fixed.failure();
  return std::optional<MappedRegion>(std::move(fixed.value()));
}

// Chunk sizes as memcached's slabs_init(): from its item header plus -n
// (so the sizes are memcached's, and a value sized to fit one of its classes
// fits the same class here), grow by the factor, 8-aligned, until the next
// would pass page / factor; the last class is the page.
std::vector<uint32_t> chunkSizes(const StoreConfig& config, size_t page_size) {
  std::vector<uint32_t> sizes;
  size_t size = alignUp(kMemcachedItemHeader + config.min_chunk, Arena::kAlignment);
  while (sizes.size() < kMaxClasses - 1 && size < page_size / config.growth_factor) {
    sizes.push_back(static_cast<uint32_t>(size));
    size_t next = alignUp(static_cast<size_t>(static_cast<double>(size) * config.growth_factor), Arena::kAlignment);
    size = std::max(next, size + Arena::kAlignment);
  }
  sizes.push_back(static_cast<uint32_t>(page_size));
  return sizes;
}

struct alignas(64) Shard {
  explicit Shard(const Arena& arena) : index(arena, kInitialBucketPower) {}
  std::mutex mutex;
  HashIndex index;
};

}  // namespace

// What an Access points at: the key, its locked shard and what it found.
struct AccessState {
  StoreCore& core;
  Shard& shard;
  std::string_view key;
  uint64_t hash;
  RelTime now;
  bool looked_up = false;
  Item* item = nullptr;
  Miss miss = Miss::kAbsent;
  // Chunks this Access allocated and has neither linked nor released (an
  // append holds two): the page mover never waits on them.
  std::array<const Item*, 4> held{};

  void hold(const Item* chunk) {
    auto slot = std::find(held.begin(), held.end(), nullptr);
    if (slot != held.end()) *slot = chunk;
  }
  void letGo(const Item* chunk) {
    auto slot = std::find(held.begin(), held.end(), chunk);
    if (slot != held.end()) *slot = nullptr;
  }
};

class StoreCore : public PageMover::Items, public ItemLiveness {
 public:
  // `config` passed Store::check(); own_memory is its arena unless it lends one.
  StoreCore(const StoreConfig& config, Clock& clock, std::optional<MappedRegion> own_memory);

  Shard& shardFor(uint64_t hash) { return *shards_[hash >> (64 - kShardBits)]; }
  RelTime now() const { return clock_.now(); }
  const Clock& clock() const { return clock_; }
  const StoreConfig& config() const { return config_; }
  bool fits(size_t key_length, size_t value_length) const;

  Item* item(AccessState& st);
  void bump(AccessState& st);
  Allocation allocate(AccessState& st, uint32_t flags, RelTime exptime, uint32_t value_length);
  void link(AccessState& st, Item* fresh, uint64_t cas);
  void release(AccessState& st, Item* fresh);
  void unlink(AccessState& st);
  Item* current(AccessState& st) { return st.shard.index.find(st.key, st.hash); }
  uint64_t nextCas() { return last_cas_.fetch_add(1, std::memory_order_relaxed) + 1; }
  // What link() and setCas() store: memcached -C stores none.
  uint64_t casToStore(uint64_t requested) {
    if (!config_.use_cas) return 0;
    return requested != 0 ? requested : nextCas();
  }

  void flushAll(RelTime oldest_live, bool use_cas);
  std::vector<Store::ItemSnapshot> classHead(uint8_t class_id, size_t limit) const;
  void forEachItem(const std::function<void(const Store::ItemSnapshot&)>& fn) const;
  size_t crawl(size_t budget);
  size_t reclaimTails(size_t budget);
  StoreStats stats() const;
  void resetStats();
  void setTemporaryLru(bool on, uint32_t ttl) {
    temporary_lru_.store((on ? kTemporaryOn : 0) | ttl, std::memory_order_relaxed);
  }
  Store::TemporaryLru temporaryLru() const {
    const uint64_t v = temporary_lru_.load(std::memory_order_relaxed);
    return {(v & kTemporaryOn) != 0, static_cast<uint32_t>(v)};
  }
  PageMover& mover() { return mover_; }
  MemoryLimitChange setMemoryLimit(size_t bytes);

  ChunkFate clearChunk(SizeClass& cls, Item* item, const MoveContext& ctx) override;

  void setObserver(ItemObserver* observer) { observer_ = observer; }
  // After an in-place change of a linked item (exptime, cas, value).
  void modified(const Item& item) {
    if (observer_ != nullptr) observer_->itemModified(item, *this);
  }
  bool live(const Item& item) const override { return deadReason(&item, clock_.now()) == Miss::kAbsent; }

 private:
  SizeClass& classOf(const Item* item) const { return *classes_[item->class_id_ - 1]; }
  SizeClass& classFor(size_t item_size) const;
  Miss deadReason(const Item* item, RelTime now) const;
  Item* takeChunk(SizeClass& cls, size_t size, AccessState& st, const Item* protect);
  bool freeFromTail(SizeClass& cls, AccessState& st, const Item* protect);
  void reclaimFromTail(SizeClass& cls, AccessState& st);
  // What memcached counts when an expired or flushed item is taken for its
  // chunk, and when a live one is evicted.
  static void countReclaim(SizeClassCounters& counters, const Item* dead);
  static void countEviction(SizeClassCounters& counters, const Item* victim, RelTime now);
  // Unlinks a linked item and frees its chunk; its shard and class are held.
  void drop(Shard& shard, SizeClass& cls, Item* item, uint64_t hash);
  // Folds hits the observer saw served elsewhere into `item` (its class
  // `cls` locked) as a GET hit: true if that relinked it at the LRU head.
  bool foldOutsideHits(SizeClass& cls, Item* item, const OutsideHits& hits, RelTime now);

  const StoreConfig config_;
  Clock& clock_;
  const size_t page_size_;
  std::optional<MappedRegion> own_memory_;   // when the config lends none
  Arena arena_;
  std::vector<std::unique_ptr<SizeClass>> classes_;   // classes_[i] has id i + 1
  std::vector<std::unique_ptr<Shard>> shards_;
  PageMover mover_;
  std::atomic<size_t> memory_limit_;
  std::atomic<uint64_t> last_cas_{0};
  ItemObserver* observer_ = nullptr;
  // Store::TemporaryLru in one word: kTemporaryOn | ttl (memcached's default 61).
  static constexpr uint64_t kTemporaryOn = uint64_t{1} << 32;
  std::atomic<uint64_t> temporary_lru_{61};

  // Flush marks (see deadReason): items last accessed at or before
  // flushed_before_, or with a cas below flushed_cas_below_, are flushed;
  // so are items last accessed at or before flush_pending_ once it is due.
  std::mutex flush_mutex_;   // serialises flushAll()
  std::atomic<RelTime> flushed_before_{0};
  std::atomic<uint64_t> flushed_cas_below_{0};
  std::atomic<RelTime> flush_pending_{0};

  std::mutex crawl_mutex_;   // serialises crawl()
  size_t crawl_class_ = 0;
  std::atomic<uint64_t> crawler_starts_{0};
  std::atomic<uint64_t> tail_passes_{0};
};

struct Store::Impl : StoreCore {
  using StoreCore::StoreCore;
};

StoreCore::StoreCore(const StoreConfig& config, Clock& clock, std::optional<MappedRegion> own_memory)
    : config_(config),
      clock_(clock),
      page_size_(pageSizeFor(config)),
      own_memory_(std::move(own_memory)),
      arena_(own_memory_ ? own_memory_->bytes() : config.arena_memory, page_size_),
      mover_(arena_, classes_, *this, pageLimitFor(config_, config_.memory_limit),
             own_memory_ ? +[](void* region, std::byte* page, size_t bytes) {
               static_cast<MappedRegion*>(region)->release(page, bytes);
             } : +[](void*, std::byte*, size_t) {},
             own_memory_ ? &*own_memory_ : nullptr, config_.automove_window),
      memory_limit_(config_.memory_limit) {
  mover_.setMode(config_.automove);
  mover_.setAgeRatio(config_.automove_ratio);
  std::vector<uint32_t> sizes = chunkSizes(config_, page_size_);
  for (size_t i = 0; i < sizes.size(); ++i) {
    classes_.push_back(std::make_unique<SizeClass>(arena_, static_cast<uint8_t>(i + 1), sizes[i]));
  }
  for (size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>(arena_));
}

bool StoreCore::fits(size_t key_length, size_t value_length) const {
  const size_t overhead = kMemcachedItemHeader + (config_.use_cas ? kMemcachedCas : 0);
  return key_length <= kMaxKeyLength && overhead + key_length + 1 + value_length + 2 <= config_.max_item_size;
}

SizeClass& StoreCore::classFor(size_t item_size) const {
  // Few classes: a linear scan beats a binary search here.
  for (const auto& cls : classes_) {
    if (cls->chunkSize() >= item_size) return *cls;
  }
  return *classes_.back();   // unreachable: the last class is a page >= max_item_size
}

Miss StoreCore::deadReason(const Item* item, RelTime now) const {
  // Pending first (acquire): flushAll() folds a due pending mark into
  // flushed_before_ before it replaces the pending one.
  RelTime pending = flush_pending_.load(std::memory_order_acquire);
  RelTime before = flushed_before_.load(std::memory_order_relaxed);
  if ((before != 0 && item->time_ <= before) || item->cas_ < flushed_cas_below_.load(std::memory_order_relaxed) ||
      (pending != 0 && pending <= now && item->time_ <= pending)) {
    return Miss::kFlushed;
  }
  if (item->exptime_ != 0 && item->exptime_ <= now) return Miss::kExpired;
  return Miss::kAbsent;
}

Item* StoreCore::item(AccessState& st) {
  if (st.looked_up) return st.item;
  st.looked_up = true;
  Item* found = current(st);
  if (found != nullptr) {
    Miss dead = deadReason(found, st.now);
    if (dead != Miss::kAbsent) {
      SizeClass& cls = classOf(found);
      std::lock_guard lock(cls.mutex());
      drop(st.shard, cls, found, st.hash);
      st.miss = dead;
      found = nullptr;
    }
  }
  if (found != nullptr && observer_ != nullptr) {
    const OutsideHits hits = observer_->takeHits(*found);
    if (hits.hits != 0) {
      SizeClass& cls = classOf(found);
      std::lock_guard lock(cls.mutex());
      foldOutsideHits(cls, found, hits, st.now);
    }
  }
  st.item = found;
  return found;
}

void StoreCore::bump(AccessState& st) {
  Item* it = item(st);
  if (it == nullptr) return;
  it->setFetched(true);
  if (st.now > it->time_ && st.now - it->time_ > kUpdateInterval) {
    SizeClass& cls = classOf(it);
    std::lock_guard lock(cls.mutex());
    it->time_ = st.now;
    cls.lruBump(it);
  }
  if (observer_ != nullptr) observer_->itemFetched(*it, *this);
}

bool StoreCore::foldOutsideHits(SizeClass& cls, Item* item, const OutsideHits& hits, RelTime now) {
  if (hits.hits == 0) return false;
  item->setFetched(true);
  const RelTime when = std::min(hits.last, now);
  if (when <= item->time_ || when - item->time_ <= kUpdateInterval) return false;
  item->time_ = when;
  cls.lruBump(item);
  return true;
}

Allocation StoreCore::allocate(AccessState& st, uint32_t flags, RelTime exptime, uint32_t value_length) {
  if (!fits(st.key.size(), value_length)) return {nullptr, AllocError::kTooLarge};
  size_t size = sizeof(Item) + replyLength(st.key.size(), flags, value_length);
  // Without cas, memcached's rule lets an item's value grow 8 bytes, which
  // with 9-digit lengths and 10-digit flags outgrows the page slack.
  if (size > page_size_) return {nullptr, AllocError::kTooLarge};
  SizeClass& cls = classFor(size);
  reclaimFromTail(cls, st);
  Item* it = takeChunk(cls, size, st, current(st));
  if (it == nullptr) return {nullptr, AllocError::kOutOfMemory};
  st.hold(it);

  it->cas_ = 0;
  it->hash_next_ = 0;
  it->lru_prev_ = 0;
  it->lru_next_ = 0;
  it->exptime_ = exptime;
  it->time_ = st.now;
  it->value_length_ = value_length;
  it->key_length_ = static_cast<uint8_t>(st.key.size());
  it->class_id_ = cls.id();
  // memcached's unsigned test: a past exptime wraps around and is not temporary.
  const Store::TemporaryLru temp = temporaryLru();
  it->bits_ = temp.on && exptime != 0 && RelTime{exptime - st.now} <= temp.ttl ? Item::kTemporary : 0;

  char* begin = it->replyBytes();
  char* end = begin + (size - sizeof(Item));
  char* p = std::copy(kValuePrefix.begin(), kValuePrefix.end(), begin);
  p = std::copy(st.key.begin(), st.key.end(), p);
  *p++ = ' ';
  p = std::to_chars(p, end, flags).ptr;
  *p++ = ' ';
  p = std::to_chars(p, end, value_length).ptr;
  *p++ = '\r';
  *p++ = '\n';
  it->value_offset_ = static_cast<uint16_t>(p - begin);
  std::copy(kReplyEnd.begin(), kReplyEnd.end(), p + value_length);
  return {it, AllocError::kNone};
}

Item* StoreCore::takeChunk(SizeClass& cls, size_t size, AccessState& st, const Item* protect) {
  const std::array<const Item*, 5> pinned{protect, st.held[0], st.held[1], st.held[2], st.held[3]};
  const MoveContext ctx{&st.shard.mutex, pinned, st.now, config_.evictions};
  for (int attempt = 0;; ++attempt) {
    {
      std::lock_guard lock(cls.mutex());
      if (Item* chunk = cls.takeChunk(size)) return chunk;
      if (std::byte* page = mover_.newPage()) {
        cls.addPage(page);
        return cls.takeChunk(size);
      }
      // A chunk freed on the class's leaving page stays off the free list.
      while (freeFromTail(cls, st, protect)) {
        ++cls.counters().direct_reclaims;
        if (Item* chunk = cls.takeChunk(size)) return chunk;
      }
      if (attempt == kPageMoveAttempts) {
        ++cls.counters().outofmemory;
        return nullptr;
      }
    }
    // Never two class mutexes at once: the donor's is released before ours.
    if (std::byte* page = mover_.takePage(cls, ctx)) {
      std::lock_guard lock(cls.mutex());
      cls.addPage(page);
      return cls.takeChunk(size);
    }
    std::this_thread::yield();
  }
}

// Empties one linked chunk of a leaving page (cls locked) for the mover:
// an expired or flushed item is reclaimed, a live one copied into a free
// chunk of its class when there is one, else evicted (with evictions off
// (-M), a set's move leaves it and gives up on the page).
ChunkFate StoreCore::clearChunk(SizeClass& cls, Item* item, const MoveContext& ctx) {
  uint64_t hash = hashKey(item->key());
  Shard& shard = shardFor(hash);
  bool held = &shard.mutex == ctx.held_shard;
  if (!held && !shard.mutex.try_lock()) return ChunkFate::kBusy;
  ChunkFate fate = ChunkFate::kEvicted;
  if (deadReason(item, ctx.now) != Miss::kAbsent) {
    countReclaim(cls.counters(), item);
    drop(shard, cls, item, hash);
    fate = ChunkFate::kReclaimed;
  } else if (Item* copy = cls.takeChunk(item->totalSize())) {
    std::memcpy(static_cast<void*>(copy), item, item->totalSize());
    shard.index.remove(item, hash);
    shard.index.insert(copy, hash);
    cls.lruReplace(item, copy);
    fate = ChunkFate::kRescued;
  } else if (ctx.may_evict) {
    // Hits served outside (XDP) since the last sweep: fetched, as memcached's item would be.
    if (observer_ != nullptr) foldOutsideHits(cls, item, observer_->takeHits(*item), ctx.now);
    countEviction(cls.counters(), item, ctx.now);
    drop(shard, cls, item, hash);
  } else {
    fate = ChunkFate::kKept;
  }
  if (!held) shard.mutex.unlock();
  return fate;
}

// Frees one chunk of `cls` (locked) from its LRU tail: the first expired or
// flushed item among the first kTailSearch candidates (reclaimed), else the
// oldest live one that could be locked (evicted). Skips `protect` and items
// whose shard is busy. Holds at most one shard besides the caller's.
bool StoreCore::freeFromTail(SizeClass& cls, AccessState& st, const Item* protect) {
  SizeClassCounters& counters = cls.counters();
  Item* victim = nullptr;
  Shard* victim_shard = nullptr;
  uint64_t victim_hash = 0;
  auto releaseVictimShard = [&] {
    if (victim_shard != nullptr && victim_shard != &st.shard) victim_shard->mutex.unlock();
  };

  Item* candidate = cls.lruTail();
  for (int tried = 0; candidate != nullptr && tried < kTailSearch; ++tried) {
    Item* next = cls.towardsHead(candidate);
    if (candidate != protect) {
      uint64_t hash = hashKey(candidate->key());
      Shard& shard = shardFor(hash);
      bool held = &shard == &st.shard || &shard == victim_shard;
      if (held || shard.mutex.try_lock()) {
        if (deadReason(candidate, st.now) != Miss::kAbsent) {
          countReclaim(counters, candidate);
          drop(shard, cls, candidate, hash);
          if (!held) shard.mutex.unlock();
          releaseVictimShard();
          return true;
        }
        // A key XDP keeps serving is as recent as a daemon GET would make it.
        if (victim == nullptr && config_.evictions &&
            !(observer_ != nullptr && foldOutsideHits(cls, candidate, observer_->takeHits(*candidate), st.now))) {
          victim = candidate;
          victim_shard = &shard;
          victim_hash = hash;
        } else if (!held) {
          shard.mutex.unlock();
        }
      }
    }
    candidate = next;
  }
  if (victim == nullptr) return false;

  countEviction(counters, victim, st.now);
  drop(*victim_shard, cls, victim, victim_hash);
  releaseVictimShard();
  mover_.evicted(cls);
  return true;
}

// What memcached without its segmented LRU does before every allocation
// (lru_pull_tail without LRU_PULL_EVICT): unlink the expired and flushed
// items at the class's LRU tail, up to kTailSearch of them, stopping at the
// first live one. These are memcached's `reclaimed`; so an expired item a
// set runs into counts there even while the crawler runs.
void StoreCore::reclaimFromTail(SizeClass& cls, AccessState& st) {
  // An item this Access already returned stays valid until it ends.
  const Item* handed_out = st.looked_up ? st.item : nullptr;
  std::lock_guard lock(cls.mutex());
  Item* candidate = cls.lruTail();
  for (int tried = 0; candidate != nullptr && tried < kTailSearch; ++tried) {
    Item* next = cls.towardsHead(candidate);
    if (candidate != handed_out) {
      uint64_t hash = hashKey(candidate->key());
      Shard& shard = shardFor(hash);
      bool held = &shard == &st.shard;
      if (held || shard.mutex.try_lock()) {
        bool dead = deadReason(candidate, st.now) != Miss::kAbsent;
        if (dead) {
          countReclaim(cls.counters(), candidate);
          drop(shard, cls, candidate, hash);
        }
        if (!held) shard.mutex.unlock();
        if (!dead) return;
      }
    }
    candidate = next;
  }
}

void StoreCore::countReclaim(SizeClassCounters& counters, const Item* dead) {
  ++counters.reclaimed;
  if (!dead->fetched()) ++counters.expired_unfetched;
}

void StoreCore::countEviction(SizeClassCounters& counters, const Item* victim, RelTime now) {
  ++counters.evicted;
  if (victim->exptime_ != 0) ++counters.evicted_nonzero;
  if (!victim->fetched()) ++counters.evicted_unfetched;
  counters.evicted_time = now > victim->time_ ? now - victim->time_ : 0;
}

void StoreCore::drop(Shard& shard, SizeClass& cls, Item* item, uint64_t hash) {
  if (observer_ != nullptr) observer_->itemRemoved(item->key());
  shard.index.remove(item, hash);
  cls.lruDrop(item);
  cls.returnChunk(item);
}

void StoreCore::link(AccessState& st, Item* fresh, uint64_t cas) {
  if (Item* old = current(st)) {
    SizeClass& cls = classOf(old);
    std::lock_guard lock(cls.mutex());
    drop(st.shard, cls, old, st.hash);
  }
  st.letGo(fresh);
  fresh->cas_ = casToStore(cas);
  fresh->time_ = st.now;
  st.shard.index.insert(fresh, st.hash);
  SizeClass& cls = classOf(fresh);
  {
    std::lock_guard lock(cls.mutex());
    cls.lruAdd(fresh);
  }
  st.looked_up = true;
  st.item = fresh;
  if (observer_ != nullptr) observer_->itemLinked(*fresh, *this);
}

void StoreCore::release(AccessState& st, Item* fresh) {
  st.letGo(fresh);
  SizeClass& cls = classOf(fresh);
  std::lock_guard lock(cls.mutex());
  cls.returnChunk(fresh);
}

void StoreCore::unlink(AccessState& st) {
  if (Item* it = current(st)) {
    SizeClass& cls = classOf(it);
    std::lock_guard lock(cls.mutex());
    drop(st.shard, cls, it, st.hash);
  }
  st.looked_up = true;
  st.item = nullptr;
  st.miss = Miss::kAbsent;
}

void StoreCore::flushAll(RelTime oldest_live, bool use_cas) {
  std::lock_guard lock(flush_mutex_);
  RelTime now = clock_.now();
  // Everything linked so far has a lower cas than the one used up here.
  if (use_cas && oldest_live <= now) {
    const uint64_t mark = nextCas();
    if (oldest_live != 0) flushed_cas_below_.store(mark, std::memory_order_relaxed);
  }
  if (oldest_live == 0) return;
  auto raiseFlushedBefore = [&](RelTime t) {
    if (t > flushed_before_.load(std::memory_order_relaxed)) flushed_before_.store(t, std::memory_order_relaxed);
  };
  RelTime pending = flush_pending_.load(std::memory_order_relaxed);
  if (pending != 0 && pending <= now) raiseFlushedBefore(pending);
  if (oldest_live <= now) {
    // With cas the mark covers every item linked so far, so the time mark
    // may go down, as memcached's oldest_live does: only later sets see it.
    if (use_cas) {
      flushed_before_.store(oldest_live, std::memory_order_relaxed);
    } else {
      raiseFlushedBefore(oldest_live);
    }
    flush_pending_.store(0, std::memory_order_release);
  } else {
    flush_pending_.store(oldest_live, std::memory_order_release);
  }
  if (observer_ != nullptr) observer_->flushed(flush_pending_.load(std::memory_order_relaxed));
}

size_t StoreCore::crawl(size_t budget) {
  std::lock_guard crawl_lock(crawl_mutex_);
  RelTime now = clock_.now();
  if (crawl_class_ == 0) {
    std::lock_guard lock(classes_[0]->mutex());
    if (classes_[0]->crawlCursor() == nullptr) crawler_starts_.fetch_add(1, std::memory_order_relaxed);
  }
  size_t checked = 0;
  size_t reclaimed = 0;
  size_t classes_done = 0;
  while (checked < budget && classes_done < classes_.size()) {
    SizeClass& cls = *classes_[crawl_class_];
    bool pass_done;
    {
      std::lock_guard lock(cls.mutex());
      size_t batch_end = std::min(budget, checked + kCrawlBatch);
      Item* it = cls.crawlCursor();
      if (it == nullptr) it = cls.crawlStart();
      while (it != nullptr && checked < batch_end) {
        Item* next = cls.crawlNext(it);
        ++checked;
        ++cls.counters().crawler_items_checked;
        uint64_t hash = hashKey(it->key());
        Shard& shard = shardFor(hash);
        if (shard.mutex.try_lock()) {
          Miss dead = deadReason(it, now);
          if (dead != Miss::kAbsent) {
            // memcached's crawler: crawler_reclaimed, and expired_unfetched
            // only for an expired item, not a flushed one.
            ++cls.counters().crawler_reclaimed;
            if (!it->fetched() && dead == Miss::kExpired) ++cls.counters().expired_unfetched;
            drop(shard, cls, it, hash);
            ++reclaimed;
          }
          shard.mutex.unlock();
        }
        it = next;
      }
      cls.setCrawlCursor(it);
      pass_done = it == nullptr;
    }
    if (pass_done) {
      crawl_class_ = (crawl_class_ + 1) % classes_.size();
      ++classes_done;
    }
  }
  return reclaimed;
}

// memcached's LRU maintainer, as far as expiry goes: it keeps pulling the
// tails of the LRUs and unlinks the expired and flushed items it finds
// there as `reclaimed` (the crawler finds the rest). Per class and list
// (the temporary LRU too, as memcached's juggle), from the tail until the
// first live item; items in a busy shard are stepped over.
size_t StoreCore::reclaimTails(size_t budget) {
  tail_passes_.fetch_add(1, std::memory_order_relaxed);
  RelTime now = clock_.now();
  size_t reclaimed = 0;
  for (size_t list = 0; list < 2 * classes_.size(); ++list) {
    SizeClass* cls = classes_[list / 2].get();
    const bool temp = list % 2 == 1;
    bool more = true;
    while (more && reclaimed < budget) {
      std::lock_guard lock(cls->mutex());
      size_t batch_end = std::min(budget, reclaimed + kCrawlBatch);
      Item* it = temp ? cls->tempTail() : cls->lruTail();
      more = false;
      for (int busy = 0; it != nullptr && reclaimed < batch_end && busy < kTailSearch;) {
        Item* next = cls->towardsHead(it);
        uint64_t hash = hashKey(it->key());
        Shard& shard = shardFor(hash);
        if (!shard.mutex.try_lock()) {
          ++busy;
          it = next;
          continue;
        }
        bool dead = deadReason(it, now) != Miss::kAbsent;
        if (dead) {
          countReclaim(cls->counters(), it);
          drop(shard, *cls, it, hash);
          ++reclaimed;
        }
        shard.mutex.unlock();
        if (!dead) break;
        it = next;
        more = it != nullptr;
      }
    }
  }
  return reclaimed;
}

MemoryLimitChange StoreCore::setMemoryLimit(size_t bytes) {
  if (bytes < basePageSize(config_)) return MemoryLimitChange::kTooSmall;
  if (bytes > Store::kMaxMemoryLimit) return MemoryLimitChange::kTooLarge;
  if (!mover_.setPageLimit(pageLimitFor(config_, bytes))) return MemoryLimitChange::kCannotGrow;
  memory_limit_.store(bytes, std::memory_order_relaxed);
  return MemoryLimitChange::kOk;
}

StoreStats StoreCore::stats() const {
  StoreStats s;
  RelTime now = clock_.now();
  for (const auto& cls : classes_) {
    std::lock_guard lock(cls->mutex());
    const SizeClassCounters& c = cls->counters();
    s.curr_items += c.items;
    s.total_items += c.total_items;
    s.bytes += c.bytes;
    s.evictions += c.evicted;
    s.reclaimed += c.reclaimed;
    s.expired_unfetched += c.expired_unfetched;
    s.evicted_unfetched += c.evicted_unfetched;
    s.crawler_reclaimed += c.crawler_reclaimed;
    s.crawler_items_checked += c.crawler_items_checked;
    s.direct_reclaims += c.direct_reclaims;
    s.slabs_moved += c.pages_moved_out;
    s.lru_crawler_running = s.lru_crawler_running || cls->crawlCursor() != nullptr;
    if (c.total_pages == 0) continue;
    SlabClassStats& out = s.classes.emplace_back();
    static_cast<SizeClassCounters&>(out) = c;
    out.id = cls->id();
    out.chunk_size = cls->chunkSize();
    out.chunks_per_page = cls->chunksPerPage();
    out.total_chunks = c.total_pages * cls->chunksPerPage();
    out.free_chunks = cls->freeChunks();
    const Item* tail = cls->lruTail();
    out.oldest_age = tail != nullptr && now > tail->time_ ? now - tail->time_ : 0;
  }
  s.lru_crawler_starts = crawler_starts_.load(std::memory_order_relaxed);
  s.lru_maintainer_juggles = tail_passes_.load(std::memory_order_relaxed);
  // Pages in classes and in the global pool; the slack is ours, not -m's.
  s.total_malloced = mover_.pagesOwned() * basePageSize(config_);
  s.limit_maxbytes = memory_limit_.load(std::memory_order_relaxed);
  const PageMover::Counters moves = mover_.counters();
  s.slab_reassign_rescues = moves.rescues;
  s.slab_reassign_evictions_nomem = moves.evictions_nomem;
  s.slab_reassign_inline_reclaim = moves.inline_reclaim;
  s.slab_reassign_busy_items = moves.busy_items;
  s.slab_reassign_running = moves.running;
  s.slab_automove = mover_.mode();
  s.slab_automove_ratio = mover_.ageRatio();
  s.slab_automove_window = static_cast<uint32_t>(mover_.window());
  s.slab_global_page_pool = moves.pool_pages;
  size_t buckets = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    buckets += shard->index.bucketCount();
    s.hash_bytes += shard->index.bytes();
    s.hash_is_expanding = s.hash_is_expanding || shard->index.expanding();
  }
  s.hash_power_level = static_cast<uint32_t>(std::bit_width(buckets) - 1);
  return s;
}

void StoreCore::resetStats() {
  // What memcached's stats_reset() zeroes: its global stats (total_items,
  // slabs_moved and the slab_reassign_* counters, lru_crawler_starts) and
  // every class's itemstats.
  for (const auto& cls : classes_) {
    std::lock_guard lock(cls->mutex());
    SizeClassCounters& c = cls->counters();
    c.total_items = 0;
    c.evicted = 0;
    c.evicted_nonzero = 0;
    c.evicted_time = 0;
    c.evicted_unfetched = 0;
    c.expired_unfetched = 0;
    c.outofmemory = 0;
    c.reclaimed = 0;
    c.crawler_reclaimed = 0;
    c.crawler_items_checked = 0;
    c.direct_reclaims = 0;
    c.pages_moved_out = 0;
  }
  crawler_starts_.store(0, std::memory_order_relaxed);
  tail_passes_.store(0, std::memory_order_relaxed);
  mover_.resetCounters();
}

// ---- Item ------------------------------------------------------------------

uint32_t Item::flags() const {
  const char* p = replyBytes() + kKeyOffset + key_length_ + 1;
  uint32_t flags = 0;
  std::from_chars(p, replyBytes() + value_offset_, flags);
  return flags;
}

// ---- Access ----------------------------------------------------------------

namespace {
AccessState& stateOf(void* impl) { return *static_cast<AccessState*>(impl); }
}  // namespace

Item* Access::item() { return stateOf(impl_).core.item(stateOf(impl_)); }
Miss Access::miss() const { return stateOf(impl_).miss; }
std::string_view Access::key() const { return stateOf(impl_).key; }
void Access::bump() { stateOf(impl_).core.bump(stateOf(impl_)); }
RelTime Access::now() const { return stateOf(impl_).now; }

Allocation Access::allocate(uint32_t flags, RelTime exptime, uint32_t value_length) {
  return stateOf(impl_).core.allocate(stateOf(impl_), flags, exptime, value_length);
}

void Access::link(Item* fresh, uint64_t cas) { stateOf(impl_).core.link(stateOf(impl_), fresh, cas); }
void Access::release(Item* fresh) { stateOf(impl_).core.release(stateOf(impl_), fresh); }
void Access::unlink() { stateOf(impl_).core.unlink(stateOf(impl_)); }

void Access::setExptime(RelTime exptime) {
  AccessState& st = stateOf(impl_);
  if (Item* it = st.core.current(st)) {
    it->exptime_ = exptime;
    st.core.modified(*it);
  }
}

void Access::setCas(uint64_t cas) {
  AccessState& st = stateOf(impl_);
  if (Item* it = st.core.current(st)) {
    it->cas_ = st.core.casToStore(cas);
    st.core.modified(*it);
  }
}

// ---- Store -----------------------------------------------------------------

Result<bool> Store::check(const StoreConfig& config) {
  if (config.growth_factor <= 1.0) return Error{"store: growth factor must be greater than 1"};
  if (config.max_item_size < kMinItemSizeLimit) return Error{"store: max item size below 1 KiB"};
  if (config.memory_limit > Store::kMaxMemoryLimit) return Error{"store: memory limit above 32 GiB"};
  if (config.memory_limit < basePageSize(config)) {
    return Error{"store: memory limit smaller than one page (max(1 MiB, max item size))"};
  }
  if (config.automove > 2) return Error{"store: slab automove must be 0, 1 or 2"};
  if (!(config.automove_ratio > 0 && config.automove_ratio <= 1)) {
    return Error{"store: slab automove ratio must be > 0 and <= 1"};
  }
  if (config.automove_window < 3) return Error{"store: slab automove window must be at least 3"};
  if (!config.arena_memory.empty() &&
      (config.arena_memory.size() < regionSizeFor(config) ||
       reinterpret_cast<uintptr_t>(config.arena_memory.data()) % Arena::kAlignment != 0)) {
    return Error{"store: the lent arena memory is smaller than the memory limit needs, or not 8-byte aligned"};
  }
  return true;
}

Result<std::unique_ptr<Store>> Store::create(const StoreConfig& config, Clock& clock) {
  if (auto checked = check(config); !checked.ok()) return checked.failure();
  auto region = ownRegionFor(config);
  if (!region.ok()) return region.failure();
  return std::unique_ptr<Store>(new Store(std::make_unique<Impl>(config, clock, std::move(region.value()))));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::Store(const StoreConfig& config, Clock& clock) : impl_(std::move(valueOrAbort(create(config, clock))->impl_)) {}

size_t Store::arenaBytes(const StoreConfig& config) { return regionSizeFor(config); }
Store::~Store() = default;

void Store::lockedAccess(std::string_view key, void (*thunk)(void*, Access&), void* ctx) {
  uint64_t hash = hashKey(key);
  Shard& shard = impl_->shardFor(hash);
  std::lock_guard lock(shard.mutex);
  shard.index.migrate(kRehashBucketsPerAccess);
  AccessState state{*impl_, shard, key, hash, impl_->now()};
  Access access;
  access.impl_ = &state;
  thunk(ctx, access);
}

void Store::flushAll(RelTime oldest_live, bool use_cas) { impl_->flushAll(oldest_live, use_cas); }
size_t Store::movePages() { return impl_->mover().maintain(impl_->now()); }

Reassign Store::reassign(int src, int dst) { return impl_->mover().reassign(src, dst, impl_->now()); }
void Store::setAutomove(uint32_t mode) { impl_->mover().setMode(mode); }
void Store::setAutomoveRatio(double ratio) { impl_->mover().setAgeRatio(ratio); }
MemoryLimitChange Store::setMemoryLimit(size_t bytes) { return impl_->setMemoryLimit(bytes); }
size_t Store::crawl(size_t budget) { return impl_->crawl(budget); }
size_t Store::reclaimTails(size_t budget) { return impl_->reclaimTails(budget); }
StoreStats Store::stats() const { return impl_->stats(); }
void Store::resetStats() { impl_->resetStats(); }
void Store::setTemporaryLru(bool on, uint32_t ttl) { impl_->setTemporaryLru(on, ttl); }
Store::TemporaryLru Store::temporaryLru() const { return impl_->temporaryLru(); }
const StoreConfig& Store::config() const { return impl_->config(); }
const Clock& Store::clock() const { return impl_->clock(); }
void Store::setObserver(ItemObserver* observer) { impl_->setObserver(observer); }

bool Store::fits(size_t key_length, size_t value_length) const {
  return impl_->fits(key_length, value_length);
}

// ---- Dumps (stats cachedump, lru_crawler metadump) ---------------------------

namespace {

Store::ItemSnapshot snapshotOf(const Item& it, bool flushed) {
  Store::ItemSnapshot s;
  s.key = std::string(it.key());
  s.key_binary = it.keyBinary();
  s.value_length = it.valueLength();
  s.exptime = it.exptime();
  s.last_access = it.lastAccess();
  s.cas = it.cas();
  s.fetched = it.fetched();
  s.flushed = flushed;
  s.class_id = it.slabClass();
  s.total_size = it.totalSize();
  return s;
}

}  // namespace

std::vector<Store::ItemSnapshot> StoreCore::classHead(uint8_t class_id, size_t limit) const {
  std::vector<Store::ItemSnapshot> out;
  if (class_id == 0 || class_id > classes_.size()) return out;
  // Under the class mutex only the places and keys (stable there); the
  // rest is read under each item's shard, which may not be waited for here.
  std::vector<std::pair<const Item*, std::string>> places;
  {
    SizeClass& cls = *classes_[class_id - 1];
    std::lock_guard lock(cls.mutex());
    for (const Item* it = cls.lruHead(); it != nullptr && places.size() < limit; it = cls.towardsTail(it)) {
      places.emplace_back(it, std::string(it->key()));
    }
  }
  const RelTime now = clock_.now();
  for (const auto& [place, key] : places) {
    const uint64_t hash = hashKey(key);
    Shard& shard = *shards_[hash >> (64 - kShardBits)];
    std::lock_guard lock(shard.mutex);
    const Item* it = shard.index.find(key, hash);
    if (it == place) out.push_back(snapshotOf(*it, deadReason(it, now) == Miss::kFlushed));
  }
  return out;
}

void StoreCore::forEachItem(const std::function<void(const Store::ItemSnapshot&)>& fn) const {
  std::vector<Store::ItemSnapshot> batch;
  for (const auto& shard : shards_) {
    batch.clear();
    {
      std::lock_guard lock(shard->mutex);
      const RelTime now = clock_.now();
      shard->index.forEach(
          [&](const Item& it) { batch.push_back(snapshotOf(it, deadReason(&it, now) == Miss::kFlushed)); });
    }
    for (const Store::ItemSnapshot& s : batch) fn(s);
  }
}

std::vector<Store::ItemSnapshot> Store::classHead(uint8_t class_id, size_t limit) const {
  return impl_->classHead(class_id, limit);
}

void Store::forEachItem(const std::function<void(const ItemSnapshot&)>& fn) const { impl_->forEachItem(fn); }

}  // namespace unbuckle::store
