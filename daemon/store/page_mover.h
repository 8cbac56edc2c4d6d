// Slab pages moving between size classes: memcached's slab rebalancer,
// automover and global page pool, in this store's design.
//
//   arena (fresh pages) ──► ┌──────────────┐ ──► class A ◄──┐
//   released (over limit) ─►│ newPage()    │ ──► class B    │ takePage(): a set
//                           └──────▲───────┘                │ empties a page of
//                                  │                        │ another class
//                      global pool (free pages, no class) ◄─┘ maintain(),
//                                                             reassign()
//
// A page leaves its class in three ways:
//  * on demand (takePage): a set whose class has nothing to evict empties a
//    page of the class with the most pages. The pages holding what the
//    set's own Access holds (its current item, the chunks it allocated and
//    has not linked or released) are never chosen, and a claim on such a
//    page is withdrawn: a set never waits on memory its own request holds.
//  * in the background (maintain, called about once a second by the
//    daemon's maintenance thread): memcached's automover. Mode 1 moves a
//    page of a class with more than 2.5 pages of free chunks to the global
//    pool (emptiest page first, its live items rescued into free chunks of
//    the same class), and a page from the class with the oldest LRU tail to
//    a class that keeps evicting much younger items. Mode 2 moves a page to
//    a class as soon as it evicts. Mode 0 moves nothing.
//  * on request: `slabs reassign <src> <dst>` (reassign).
// Over the memory limit (after cache_memlimit lowered it) free pages are
// released instead of pooled, and maintain() frees pages until under it.
//
// Only one page in the store leaves at a time (leaving_class_); whoever
// wants a page helps empty that one. Emptying a chunk needs its item's shard:
// items in a busy shard and chunks being filled are waited for, up to a
// deadline. Locks: a class mutex, then the pool mutex (a leaf). The mover
// mutex serialises background and requested moves; it is taken before any
// class mutex.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "store/arena.h"
#include "store/clock.h"
#include "store/size_class.h"
#include "store/store.h"

namespace unbuckle::store {

// Who asks for a page, and what it holds.
struct MoveContext {
  const std::mutex* held_shard = nullptr;   // the shard mutex the caller holds, if any
  std::span<const Item* const> pinned;      // pages holding these never leave for this caller
  RelTime now = 0;
  bool may_evict = true;                    // false: only pages whose live items can be rescued
};

enum class ChunkFate {
  kRescued,     // copied into a free chunk of the same class
  kReclaimed,   // expired or flushed, unlinked
  kEvicted,     // live, no free chunk to rescue it into: unlinked
  kKept,        // live, no free chunk, and the caller may not evict
  kBusy,        // its shard is held elsewhere: left for a later round
};

class PageMover {
 public:
  // What the store does for the mover: emptying one linked chunk of a
  // leaving page needs the item's shard and index.
  class Items {
   public:
    virtual ~Items() = default;
    // Under cls's mutex: frees the chunk of `item`, linked on cls's
    // leaving page, rescuing a live item into another chunk of cls when one
    // is free, else unlinking it (if ctx.may_evict).
    virtual ChunkFate clearChunk(SizeClass& cls, Item* item, const MoveContext& ctx) = 0;
  };

  // Where a release of memory past the limit goes (madvise on an own
  // mapping; nothing on lent memory, whose pages stay pinned).
  using ReleaseFn = void (*)(void* owner, std::byte* page, size_t bytes);

  // `window`: memcached's slab_automove_window, the seconds of history
  // (maintain() steps) an automove decision looks at; at least 3.
  PageMover(Arena& arena, const std::vector<std::unique_ptr<SizeClass>>& classes, Items& items,
            size_t page_limit, ReleaseFn release, void* release_owner, size_t window);

  // A page no class owns: from the global pool, else (while under the page
  // limit) a released or fresh one; nullptr if none. Any mutex may be held.
  std::byte* newPage();

  // A page emptied from another class for `taker` (whose mutex the caller
  // does not hold), or nullptr: nothing movable, or the deadline passed.
  std::byte* takePage(SizeClass& taker, const MoveContext& ctx);

  // One background step (see the top of this file). Returns pages moved.
  size_t maintain(RelTime now);

  // memcached's `slabs reassign`: src -1 picks any class with a spare
  // page, dst 0 is the global pool. Done before it returns.
  Reassign reassign(int src, int dst, RelTime now);

  // 0 off, 1 memcached's default automover, 2 move on every eviction.
  void setMode(uint32_t mode) { mode_.store(mode, std::memory_order_relaxed); }
  uint32_t mode() const { return mode_.load(std::memory_order_relaxed); }
  // memcached's slab_automove_ratio: a class-to-class move needs the
  // evicting class's tail age below this share of the oldest class's.
  void setAgeRatio(double ratio) { age_ratio_.store(ratio, std::memory_order_relaxed); }
  double ageRatio() const { return age_ratio_.load(std::memory_order_relaxed); }
  size_t window() const { return window_; }
  // Mode 2: `cls` just evicted; the next maintain() moves a page to it.
  void evicted(const SizeClass& cls);

  // Pages the classes and the pool may own. Growing past what the arena
  // holds fails.
  bool setPageLimit(size_t pages);
  size_t pageLimit() const { return page_limit_.load(std::memory_order_relaxed); }
  size_t pagesOwned() const;        // in classes and in the pool

  struct Counters {
    uint64_t rescues = 0;
    uint64_t evictions_nomem = 0;
    uint64_t inline_reclaim = 0;
    uint64_t busy_items = 0;
    uint64_t pool_pages = 0;
    bool running = false;
  };
  Counters counters() const;
  // `stats reset`: the move counters start again from 0.
  void resetCounters();

 private:
  // Per class, one automove window slot (memcached's window_data).
  struct Window {
    uint64_t age = 0;
    bool dirty = false;
    bool evicted_seen = false;
    float evicted_ratio = 0;
  };
  struct ClassSample {
    uint64_t evicted = 0;
    uint64_t outofmemory = 0;
    uint64_t total_pages = 0;
    uint64_t free_chunks = 0;
    uint64_t chunks_per_page = 0;
    uint64_t age = 0;
  };
  SizeClass* classWithMostPages(const SizeClass& except, const MoveContext& ctx) const;
  std::byte* pageToMove(const SizeClass& cls, const MoveContext& ctx) const;
  std::byte* emptiestPage(const SizeClass& cls);
  bool pinned(const std::byte* page, const MoveContext& ctx) const;
  enum class Emptying { kEmpty, kWaiting, kStuck };
  Emptying emptyLeavingPage(SizeClass& cls, const MoveContext& ctx);
  // Moves the emptiest page of src to dst (nullptr: the pool). The mover
  // mutex is held.
  bool movePage(SizeClass& src, SizeClass* dst, RelTime now);
  void givePage(std::byte* page, SizeClass* dst);
  void poolOrRelease(std::byte* page);
  void releaseOverLimit();
  int pickAnySource(int dst);
  // memcached's slab_automove_run(): {src, dst}, -1 for none; dst 0 = pool.
  std::array<int, 2> automoveDecision(RelTime now);
  static bool overReclaimThreshold(SizeClass& cls);

  Arena& arena_;
  const std::vector<std::unique_ptr<SizeClass>>& classes_;
  Items& items_;
  ReleaseFn release_;
  void* release_owner_;

  std::atomic<SizeClass*> leaving_class_{nullptr};   // written under that class's mutex

  mutable std::mutex pool_mutex_;
  std::vector<std::byte*> pool_;       // free pages counted against the limit
  std::vector<std::byte*> released_;   // free pages beyond the limit
  size_t owned_ = 0;                   // pages in classes and in pool_
  std::atomic<size_t> page_limit_;

  std::mutex mover_mutex_;   // one background or requested move at a time
  std::atomic<bool> running_{false};
  std::atomic<uint32_t> mode_{1};
  std::atomic<double> age_ratio_{0.8};
  std::atomic<int> evicting_class_{0};   // mode 2's pending destination
  int pick_cursor_ = 0;
  size_t scan_cursor_ = 0;   // where emptiestPage() resumes (both under mover_mutex_)

  // Automove state (under mover_mutex_).
  const size_t window_;
  std::vector<Window> windows_;   // window_ slots per class, class after class
  std::vector<ClassSample> before_;
  std::vector<bool> reclaimable_;   // clean window and > 2.5 pages free, at the last decision
  uint64_t window_cur_ = 0;
  RelTime last_run_ = 0;

  std::atomic<uint64_t> rescues_{0};
  std::atomic<uint64_t> evictions_nomem_{0};
  std::atomic<uint64_t> inline_reclaim_{0};
  std::atomic<uint64_t> busy_items_{0};
};

}  // namespace unbuckle::store
