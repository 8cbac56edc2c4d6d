// The item store: how the pieces fit and who locks what.
//
// Memory
//   One arena (arena.h) is cut into memory_limit / max(1 MiB, max_item_size)
//   pages of that size plus kPageSlack bytes. A page goes to a size class
//   when that class has no free chunk left. Chunk sizes
//   start at header + min_chunk and grow by growth_factor (8-byte aligned);
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
//   When the arena is used up, a class evicts from its own LRU tail. When it
//   has nothing there to evict (no pages yet, as when the item sizes
//   change), it takes a page from the class with the most pages, evicting
//   that page's items: memcached's slab reassignment, done by the set that
//   needs it instead of by a background mover, so a set does not fail while
//   any class holds evictable items. Items other threads hold at that moment
//   are waited for, at most kPageMoveWait per attempt, and only then does a
//   set answer out of memory (see takePageFromAnotherClass).
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
//   Order: shard, then class. Whoever holds a class mutex and needs a shard
//   (eviction, the crawler) uses try_lock and skips the item when that
//   fails, so no thread ever waits for a shard while holding a class; a
//   page move that needs a busy shard retries with the class released. No
//   thread holds two class mutexes. An
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
#include <charconv>
#include <chrono>
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
// How long a set waits for the items on a leaving page that other threads
// hold: a preempted holder needs a scheduler slice or two.
constexpr auto kPageMoveWait = std::chrono::milliseconds(20);
constexpr auto kPageMoveRetry = std::chrono::microseconds(50);
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

const StoreConfig& validatedLimits(const StoreConfig& config) {
  if (config.growth_factor <= 1.0) throw std::invalid_argument("store: growth factor must be greater than 1");
  if (config.max_item_size < kMinItemSizeLimit) throw std::invalid_argument("store: max item size below 1 KiB");
  if (config.memory_limit > Store::kMaxMemoryLimit) throw std::invalid_argument("store: memory limit above 32 GiB");
  if (config.memory_limit < basePageSize(config)) {
    throw std::invalid_argument("store: memory limit smaller than one page (max(1 MiB, max item size))");
  }
  return config;
}

const StoreConfig& validated(const StoreConfig& config) {
  validatedLimits(config);
  if (!config.arena_memory.empty() &&
      (config.arena_memory.size() < regionSizeFor(config) ||
       reinterpret_cast<uintptr_t>(config.arena_memory.data()) % Arena::kAlignment != 0)) {
    throw std::invalid_argument("store: the lent arena memory is smaller than the memory limit needs, or not 8-byte aligned");
  }
  return config;
}

// Chunk sizes as memcached's slabs_init(): grow by the factor, 8-aligned,
// until the next would pass page / factor; the last class is the page.
std::vector<uint32_t> chunkSizes(const StoreConfig& config, size_t page_size) {
  std::vector<uint32_t> sizes;
  size_t size = alignUp(sizeof(Item) + config.min_chunk, Arena::kAlignment);
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
};

class StoreCore {
 public:
  StoreCore(const StoreConfig& config, Clock& clock);

  Shard& shardFor(uint64_t hash) { return *shards_[hash >> (64 - kShardBits)]; }
  RelTime now() const { return clock_.now(); }
  const Clock& clock() const { return clock_; }
  const StoreConfig& config() const { return config_; }
  bool fits(size_t key_length, size_t value_length) const;

  Item* item(AccessState& st);
  void bump(AccessState& st);
  Allocation allocate(AccessState& st, uint32_t flags, RelTime exptime, uint32_t value_length);
  void link(AccessState& st, Item* fresh, uint64_t cas);
  void release(Item* fresh);
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
  StoreStats stats() const;

 private:
  SizeClass& classOf(const Item* item) const { return *classes_[item->class_id_ - 1]; }
  SizeClass& classFor(size_t item_size) const;
  Miss deadReason(const Item* item, RelTime now) const;
  Item* takeChunk(SizeClass& cls, size_t size, AccessState& st, const Item* protect);
  bool freeFromTail(SizeClass& cls, AccessState& st, const Item* protect);
  std::byte* takePageFromAnotherClass(const SizeClass& taker, AccessState& st, const Item* protect);
  SizeClass* classWithMostPages(const SizeClass& except) const;
  std::byte* pageToMove(const SizeClass& cls, const std::byte* avoid) const;
  bool unlinkLeavingPage(SizeClass& cls, AccessState& st);
  // What memcached counts when an expired or flushed item is taken for its
  // chunk, and when a live one is evicted.
  static void countReclaim(SizeClassCounters& counters, const Item* dead);
  static void countEviction(SizeClassCounters& counters, const Item* victim, RelTime now);
  // Unlinks a linked item and frees its chunk; its shard and class are held.
  static void drop(Shard& shard, SizeClass& cls, Item* item, uint64_t hash);

  const StoreConfig config_;
  Clock& clock_;
  const size_t page_size_;
  std::optional<MappedRegion> own_memory_;   // when the config lends none
  Arena arena_;
  std::vector<std::unique_ptr<SizeClass>> classes_;   // classes_[i] has id i + 1
  std::vector<std::unique_ptr<Shard>> shards_;
  // The class whose page is leaving, if any; written under its mutex.
  std::atomic<SizeClass*> leaving_class_{nullptr};
  std::atomic<uint64_t> last_cas_{0};

  // Flush marks (see deadReason): items last accessed at or before
  // flushed_before_, or with a cas below flushed_cas_below_, are flushed;
  // so are items last accessed at or before flush_pending_ once it is due.
  std::mutex flush_mutex_;   // serialises flushAll()
  std::atomic<RelTime> flushed_before_{0};
  std::atomic<uint64_t> flushed_cas_below_{0};
  std::atomic<RelTime> flush_pending_{0};

  std::mutex crawl_mutex_;   // serialises crawl()
  size_t crawl_class_ = 0;
  std::atomic<uint64_t> crawler_items_checked_{0};
};

struct Store::Impl : StoreCore {
  using StoreCore::StoreCore;
};

StoreCore::StoreCore(const StoreConfig& config, Clock& clock)
    : config_(validated(config)),
      clock_(clock),
      page_size_(pageSizeFor(config)),
      own_memory_(config.arena_memory.empty() ? std::optional<MappedRegion>(std::in_place, regionSizeFor(config_))
                                               : std::nullopt),
      arena_(own_memory_ ? own_memory_->bytes() : config.arena_memory, page_size_) {
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
}

Allocation StoreCore::allocate(AccessState& st, uint32_t flags, RelTime exptime, uint32_t value_length) {
  if (!fits(st.key.size(), value_length)) return {nullptr, AllocError::kTooLarge};
  size_t size = sizeof(Item) + replyLength(st.key.size(), flags, value_length);
  // Without cas, memcached's rule lets an item's value grow 8 bytes, which
  // with 9-digit lengths and 10-digit flags outgrows the page slack.
  if (size > page_size_) return {nullptr, AllocError::kTooLarge};
  SizeClass& cls = classFor(size);
  Item* it = takeChunk(cls, size, st, current(st));
  if (it == nullptr) return {nullptr, AllocError::kOutOfMemory};

  it->cas_ = 0;
  it->hash_next_ = 0;
  it->lru_prev_ = 0;
  it->lru_next_ = 0;
  it->exptime_ = exptime;
  it->time_ = st.now;
  it->value_length_ = value_length;
  it->key_length_ = static_cast<uint8_t>(st.key.size());
  it->class_id_ = cls.id();
  it->bits_ = 0;

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
  for (int attempt = 0;; ++attempt) {
    {
      std::lock_guard lock(cls.mutex());
      if (Item* chunk = cls.takeChunk(size)) return chunk;
      if (std::byte* page = arena_.allocatePage()) {
        cls.addPage(page);
        return cls.takeChunk(size);
      }
      // A chunk freed on the class's leaving page stays off the free list.
      while (freeFromTail(cls, st, protect)) {
        if (Item* chunk = cls.takeChunk(size)) return chunk;
      }
      if (attempt == kPageMoveAttempts) {
        ++cls.counters().outofmemory;
        return nullptr;
      }
    }
    // Never two class mutexes at once: the donor's is released before ours.
    if (std::byte* page = takePageFromAnotherClass(cls, st, protect)) {
      std::lock_guard lock(cls.mutex());
      cls.addPage(page);
      return cls.takeChunk(size);
    }
    std::this_thread::yield();
  }
}

// A page from another class, emptied of its items; nullptr if none could
// be had.
//
// Emptying a page needs the shard of every item on it, and each thread that
// wants a page holds one shard (its Access's) while it waits. So one page in
// the whole store is leaving at a time (from leaving_class_), every thread
// that wants a page works on that one, each unlinking the items it can lock
// (those of its own shard among them), and whoever finds it empty takes it.
// A thread whose accessed item is on the leaving page, or whose wait is
// over, withdraws the claim, so no claim outlives the threads working on it.
std::byte* StoreCore::takePageFromAnotherClass(const SizeClass& taker, AccessState& st, const Item* protect) {
  const std::byte* protected_page = protect != nullptr ? arena_.pageOf(protect) : nullptr;
  const auto deadline = std::chrono::steady_clock::now() + kPageMoveWait;
  for (bool first = true;; first = false) {
    if (!first) std::this_thread::sleep_for(kPageMoveRetry);   // a yield would starve waiters of the donor's mutex
    SizeClass* donor = leaving_class_.load(std::memory_order_acquire);
    if (donor == nullptr) donor = classWithMostPages(taker);
    if (donor == nullptr) return nullptr;
    std::lock_guard lock(donor->mutex());
    std::byte* page = donor->leavingPage();
    bool late = std::chrono::steady_clock::now() >= deadline;
    if (page != nullptr && (page == protected_page || late)) {
      donor->unclaimPage();
      leaving_class_.store(nullptr, std::memory_order_release);
      page = nullptr;
    }
    if (late) return nullptr;
    if (page == nullptr) {
      page = pageToMove(*donor, protected_page);
      SizeClass* none = nullptr;
      if (page == nullptr || !leaving_class_.compare_exchange_strong(none, donor)) continue;
      donor->claimPage(page);
    }
    if (!unlinkLeavingPage(*donor, st)) continue;
    leaving_class_.store(nullptr, std::memory_order_release);
    if (donor == &taker) {
      // The taker's own page emptied (it helped someone else's move):
      // its chunks are free for the taker as they are.
      donor->unclaimPage();
      return nullptr;
    }
    return donor->removeClaimedPage();
  }
}

SizeClass* StoreCore::classWithMostPages(const SizeClass& except) const {
  SizeClass* most = nullptr;
  uint64_t most_pages = 0;
  for (const auto& cls : classes_) {
    if (cls.get() == &except) continue;
    std::lock_guard lock(cls->mutex());
    if (cls->counters().total_pages > most_pages) {
      most = cls.get();
      most_pages = cls->counters().total_pages;
    }
  }
  return most;
}

// The page of the class's LRU tail (its oldest item goes first), else any
// page of the class but `avoid`; nullptr if there is none.
std::byte* StoreCore::pageToMove(const SizeClass& cls, const std::byte* avoid) const {
  const Item* tail = cls.lruTail();
  if (tail != nullptr && arena_.pageOf(tail) != avoid) return arena_.pageOf(tail);
  for (std::byte* page : cls.pages()) {
    if (page != avoid) return page;
  }
  return nullptr;
}

// Unlinks the items on `cls`'s leaving page (cls locked) whose shard is free
// or the caller's. True once every chunk on it is free; chunks being filled
// elsewhere and items in busy shards are left for a later round.
bool StoreCore::unlinkLeavingPage(SizeClass& cls, AccessState& st) {
  std::byte* page = cls.leavingPage();
  SizeClassCounters& counters = cls.counters();
  bool empty = true;
  for (std::byte* p = page; p < cls.carvedEnd(page); p += cls.chunkSize()) {
    auto* chunk = reinterpret_cast<Item*>(p);
    auto state = static_cast<ChunkState>(chunk->chunk_state_);
    if (state == ChunkState::kFree) continue;
    if (state == ChunkState::kAllocated) {
      empty = false;
      continue;
    }
    uint64_t hash = hashKey(chunk->key());
    Shard& shard = shardFor(hash);
    bool held = &shard == &st.shard;
    if (!held && !shard.mutex.try_lock()) {
      empty = false;
      continue;
    }
    if (deadReason(chunk, st.now) != Miss::kAbsent) {
      countReclaim(counters, chunk);
    } else {
      countEviction(counters, chunk, st.now);
    }
    drop(shard, cls, chunk, hash);
    if (!held) shard.mutex.unlock();
  }
  return empty;
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
        if (victim == nullptr) {
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
  return true;
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
}

void StoreCore::release(Item* fresh) {
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
}

size_t StoreCore::crawl(size_t budget) {
  std::lock_guard crawl_lock(crawl_mutex_);
  RelTime now = clock_.now();
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
      if (it == nullptr) it = cls.lruTail();
      while (it != nullptr && checked < batch_end) {
        Item* next = cls.towardsHead(it);
        ++checked;
        uint64_t hash = hashKey(it->key());
        Shard& shard = shardFor(hash);
        if (shard.mutex.try_lock()) {
          if (deadReason(it, now) != Miss::kAbsent) {
            ++cls.counters().crawler_reclaimed;
            if (!it->fetched()) ++cls.counters().expired_unfetched;
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
  crawler_items_checked_.fetch_add(checked, std::memory_order_relaxed);
  return reclaimed;
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
    s.slabs_moved += c.pages_moved_out;
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
  s.crawler_items_checked = crawler_items_checked_.load(std::memory_order_relaxed);
  s.total_malloced = arena_.pagesAllocated() * basePageSize(config_);   // the slack is ours, not -m's
  s.limit_maxbytes = config_.memory_limit;
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
void Access::release(Item* fresh) { stateOf(impl_).core.release(fresh); }
void Access::unlink() { stateOf(impl_).core.unlink(stateOf(impl_)); }

void Access::setExptime(RelTime exptime) {
  if (Item* it = stateOf(impl_).core.current(stateOf(impl_))) it->exptime_ = exptime;
}

void Access::setCas(uint64_t cas) {
  AccessState& st = stateOf(impl_);
  if (Item* it = st.core.current(st)) it->cas_ = st.core.casToStore(cas);
}

// ---- Store -----------------------------------------------------------------

Store::Store(const StoreConfig& config, Clock& clock) : impl_(std::make_unique<Impl>(config, clock)) {}
size_t Store::arenaBytes(const StoreConfig& config) { return regionSizeFor(validatedLimits(config)); }
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
size_t Store::crawl(size_t budget) { return impl_->crawl(budget); }
StoreStats Store::stats() const { return impl_->stats(); }
const StoreConfig& Store::config() const { return impl_->config(); }
const Clock& Store::clock() const { return impl_->clock(); }

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
