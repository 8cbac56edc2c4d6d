#include "store/page_mover.h"

#include <algorithm>
#include <thread>

namespace unbuckle::store {

namespace {

// How long a set waits for the items on a leaving page that other threads
// hold: a preempted holder needs a scheduler slice or two.
constexpr auto kOnDemandWait = std::chrono::milliseconds(20);
// The background mover and `slabs reassign` may wait longer: no set waits.
constexpr auto kBackgroundWait = std::chrono::milliseconds(100);
constexpr auto kRetry = std::chrono::microseconds(50);
// memcached's MIN_PAGES_FOR_RECLAIM and MIN_PAGES_FOR_SOURCE.
constexpr double kMinPagesForReclaim = 2.5;
constexpr uint64_t kMinPagesForSource = 2;
// Pages one maintain() call may send to the pool (memcached loops without
// its one-second pause while it reclaims to the pool).
constexpr size_t kPoolMovesPerStep = 64;
constexpr size_t kPagesScanned = 64;   // per choice of the emptiest page

}  // namespace

PageMover::PageMover(Arena& arena, const std::vector<std::unique_ptr<SizeClass>>& classes, Items& items,
                     size_t page_limit, ReleaseFn release, void* release_owner, size_t window)
    : arena_(arena),
      classes_(classes),
      items_(items),
      release_(release),
      release_owner_(release_owner),
      page_limit_(page_limit),
      window_(window) {}

size_t PageMover::pagesOwned() const {
  std::lock_guard lock(pool_mutex_);
  return owned_;
}

std::byte* PageMover::newPage() {
  std::lock_guard lock(pool_mutex_);
  if (!pool_.empty()) {
    std::byte* page = pool_.back();
    pool_.pop_back();
    return page;
  }
  if (owned_ >= page_limit_.load(std::memory_order_relaxed)) return nullptr;
  std::byte* page = nullptr;
  if (!released_.empty()) {
    page = released_.back();
    released_.pop_back();
  } else {
    page = arena_.allocatePage();
  }
  if (page != nullptr) ++owned_;
  return page;
}

bool PageMover::setPageLimit(size_t pages) {
  if (pages > arena_.pageCount()) return false;
  page_limit_.store(pages, std::memory_order_relaxed);
  releaseOverLimit();
  return true;
}

void PageMover::releaseOverLimit() {
  std::vector<std::byte*> freed;
  {
    std::lock_guard lock(pool_mutex_);
    while (owned_ > page_limit_.load(std::memory_order_relaxed) && !pool_.empty()) {
      freed.push_back(pool_.back());
      released_.push_back(pool_.back());
      pool_.pop_back();
      --owned_;
    }
  }
  for (std::byte* page : freed) release_(release_owner_, page, arena_.pageSize());
}

void PageMover::poolOrRelease(std::byte* page) {
  {
    std::lock_guard lock(pool_mutex_);
    pool_.push_back(page);
  }
  releaseOverLimit();
}

bool PageMover::pinned(const std::byte* page, const MoveContext& ctx) const {
  return std::any_of(ctx.pinned.begin(), ctx.pinned.end(),
                     [&](const Item* item) { return item != nullptr && arena_.pageOf(item) == page; });
}

// Emptying a page needs the shard of every item on it, and each thread that
// wants a page holds one shard (its Access's) while it waits. So one page in
// the whole store is leaving at a time (from leaving_class_), every thread
// that wants a page works on that one, each emptying the chunks it can lock
// (those of its own shard among them), and whoever finds it empty takes it.
// A thread that pins the leaving page, or whose wait is over, withdraws the
// claim, so no claim outlives the threads working on it and no thread waits
// on a chunk it holds itself.
std::byte* PageMover::takePage(SizeClass& taker, const MoveContext& ctx) {
  const auto deadline = std::chrono::steady_clock::now() + kOnDemandWait;
  // With no page to move, waiting helps only when other threads hold
  // chunks of the taker (being filled, or items in busy shards): they will
  // soon be evictable. What this caller pins stays pinned, and items of the
  // temporary LRU are never evictable.
  const auto mine = static_cast<uint64_t>(std::count_if(ctx.pinned.begin(), ctx.pinned.end(), [&](const Item* item) {
    return item != nullptr && item->slabClass() == taker.id();
  }));
  bool others_hold_chunks = false;
  {
    std::lock_guard lock(taker.mutex());
    others_hold_chunks = taker.counters().used_chunks > mine + taker.counters().temp_items;
  }
  for (bool first = true;; first = false) {
    if (!first) std::this_thread::sleep_for(kRetry);   // a yield would starve waiters of the donor's mutex
    SizeClass* donor = leaving_class_.load(std::memory_order_acquire);
    if (donor == nullptr) donor = classWithMostPages(taker, ctx);
    if (donor == nullptr) {
      if (others_hold_chunks && std::chrono::steady_clock::now() < deadline) continue;
      return nullptr;
    }
    std::lock_guard lock(donor->mutex());
    std::byte* page = donor->leavingPage();
    const bool late = std::chrono::steady_clock::now() >= deadline;
    if (page != nullptr && (pinned(page, ctx) || late)) {
      donor->unclaimPage();
      leaving_class_.store(nullptr, std::memory_order_release);
      page = nullptr;
    }
    if (late) return nullptr;
    if (page == nullptr) {
      page = pageToMove(*donor, ctx);
      if (page == nullptr) continue;
      SizeClass* none = nullptr;
      if (!leaving_class_.compare_exchange_strong(none, donor)) continue;
      inline_reclaim_.fetch_add(donor->claimPage(page), std::memory_order_relaxed);
    }
    const Emptying emptying = emptyLeavingPage(*donor, ctx);
    if (emptying == Emptying::kStuck) {
      // Only evictions would empty it, and the caller may not evict.
      donor->unclaimPage();
      leaving_class_.store(nullptr, std::memory_order_release);
      return nullptr;
    }
    if (emptying == Emptying::kWaiting) continue;
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

// The class with the most pages among those with a page the caller does
// not pin.
SizeClass* PageMover::classWithMostPages(const SizeClass& except, const MoveContext& ctx) const {
  SizeClass* most = nullptr;
  uint64_t most_pages = 0;
  for (const auto& cls : classes_) {
    if (cls.get() == &except) continue;
    std::lock_guard lock(cls->mutex());
    if (cls->counters().total_pages > most_pages && pageToMove(*cls, ctx) != nullptr) {
      most = cls.get();
      most_pages = cls->counters().total_pages;
    }
  }
  return most;
}

// The page of the class's LRU tail (its oldest item goes first), else any
// page of the class the caller does not pin; nullptr if there is none.
std::byte* PageMover::pageToMove(const SizeClass& cls, const MoveContext& ctx) const {
  const Item* tail = cls.lruTail();
  if (tail != nullptr && !pinned(arena_.pageOf(tail), ctx)) return arena_.pageOf(tail);
  for (std::byte* page : cls.pages()) {
    if (!pinned(page, ctx)) return page;
  }
  return nullptr;
}

// The page with the fewest chunks in use among up to kPagesScanned of the
// class's pages, from where the last search stopped (an empty one ends the
// search): a class of a large store has thousands of pages, and the scan
// holds its mutex.
std::byte* PageMover::emptiestPage(const SizeClass& cls) {
  const std::vector<std::byte*>& pages = cls.pages();
  std::byte* best = nullptr;
  uint32_t best_used = UINT32_MAX;
  for (size_t i = 0; i < std::min(pages.size(), kPagesScanned); ++i) {
    std::byte* page = pages[scan_cursor_++ % pages.size()];
    uint32_t used = cls.usedChunksOn(page);
    if (used < best_used) {
      best = page;
      best_used = used;
      if (used == 0) break;
    }
  }
  return best;
}

// Empties what it can of `cls`'s leaving page (cls locked): kEmpty once
// every chunk on it is free; chunks being filled and items in busy shards
// are left for a later round (kWaiting); kStuck when a live item could only
// be evicted and the caller may not.
PageMover::Emptying PageMover::emptyLeavingPage(SizeClass& cls, const MoveContext& ctx) {
  std::byte* page = cls.leavingPage();
  Emptying result = Emptying::kEmpty;
  for (std::byte* p = page; p < cls.carvedEnd(page); p += cls.chunkSize()) {
    auto* chunk = reinterpret_cast<Item*>(p);
    auto state = static_cast<ChunkState>(chunk->chunk_state_);
    if (state == ChunkState::kFree) continue;
    if (state == ChunkState::kAllocated) {
      busy_items_.fetch_add(1, std::memory_order_relaxed);
      result = Emptying::kWaiting;
      continue;
    }
    switch (items_.clearChunk(cls, chunk, ctx)) {
      case ChunkFate::kRescued:
        rescues_.fetch_add(1, std::memory_order_relaxed);
        break;
      case ChunkFate::kEvicted:
        evictions_nomem_.fetch_add(1, std::memory_order_relaxed);
        break;
      case ChunkFate::kReclaimed:
        break;
      case ChunkFate::kBusy:
        busy_items_.fetch_add(1, std::memory_order_relaxed);
        result = Emptying::kWaiting;
        break;
      case ChunkFate::kKept:
        return Emptying::kStuck;
    }
  }
  return result;
}

bool PageMover::movePage(SizeClass& src, SizeClass* dst, RelTime now) {
  running_.store(true, std::memory_order_relaxed);
  const MoveContext ctx{nullptr, {}, now};
  std::byte* page = nullptr;
  {
    std::lock_guard lock(src.mutex());
    page = emptiestPage(src);
    SizeClass* none = nullptr;
    if (page == nullptr || !leaving_class_.compare_exchange_strong(none, &src)) {
      running_.store(false, std::memory_order_relaxed);
      return false;
    }
    inline_reclaim_.fetch_add(src.claimPage(page), std::memory_order_relaxed);
  }
  const auto deadline = std::chrono::steady_clock::now() + kBackgroundWait;
  std::byte* moved = nullptr;
  for (bool first = true; moved == nullptr; first = false) {
    if (!first) std::this_thread::sleep_for(kRetry);
    std::lock_guard lock(src.mutex());
    // A set may have finished the move for itself, or withdrawn the claim.
    if (src.leavingPage() != page) break;
    if (emptyLeavingPage(src, ctx) == Emptying::kEmpty) {
      leaving_class_.store(nullptr, std::memory_order_release);
      moved = src.removeClaimedPage();
    } else if (std::chrono::steady_clock::now() >= deadline) {
      src.unclaimPage();
      leaving_class_.store(nullptr, std::memory_order_release);
      break;
    }
  }
  if (moved != nullptr) givePage(moved, dst);
  running_.store(false, std::memory_order_relaxed);
  return moved != nullptr;
}

void PageMover::givePage(std::byte* page, SizeClass* dst) {
  if (dst == nullptr) {
    poolOrRelease(page);
    return;
  }
  std::lock_guard lock(dst->mutex());
  dst->addPage(page);
}

void PageMover::evicted(const SizeClass& cls) {
  if (mode() == 2) evicting_class_.store(cls.id(), std::memory_order_relaxed);
}

int PageMover::pickAnySource(int dst) {
  const int classes = static_cast<int>(classes_.size());
  for (int tries = classes; tries > 0; --tries) {
    pick_cursor_ = pick_cursor_ % classes + 1;
    if (pick_cursor_ == dst) continue;
    SizeClass& cls = *classes_[pick_cursor_ - 1];
    std::lock_guard lock(cls.mutex());
    if (cls.counters().total_pages > 1) return pick_cursor_;
  }
  return -1;
}

Reassign PageMover::reassign(int src, int dst, RelTime now) {
  std::unique_lock lock(mover_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return Reassign::kBusy;
  if (src == dst) return Reassign::kSame;
  if (src == -1) src = pickAnySource(dst);
  const int largest = static_cast<int>(classes_.size());
  if (src < 0 || src > largest || dst < 0 || dst > largest) return Reassign::kBadClass;
  // The pool (class 0) is no source: memcached finds it has no spare page.
  if (src == 0) return Reassign::kNoSpare;
  SizeClass& source = *classes_[src - 1];
  {
    std::lock_guard class_lock(source.mutex());
    if (source.counters().total_pages < 2) return Reassign::kNoSpare;
  }
  movePage(source, dst == 0 ? nullptr : classes_[dst - 1].get(), now);
  return Reassign::kOk;
}

std::array<int, 2> PageMover::automoveDecision(RelTime now) {
  const size_t n = classes_.size();
  if (before_.size() != n) {   // the store adds its classes after building the mover
    windows_.assign(n * window_, {});
    before_.assign(n, {});
    reclaimable_.assign(n, false);
  }
  std::vector<ClassSample> after(n);
  uint64_t evicted_total = 0;
  for (size_t i = 0; i < n; ++i) {
    SizeClass& cls = *classes_[i];
    std::lock_guard lock(cls.mutex());
    const SizeClassCounters& c = cls.counters();
    const Item* tail = cls.lruTail();
    after[i] = {c.evicted, c.outofmemory, c.total_pages, cls.freeChunks(), cls.chunksPerPage(),
                tail != nullptr && now > tail->lastAccess() ? uint64_t{now - tail->lastAccess()} : 0};
    evicted_total += after[i].evicted - before_[i].evicted;
  }
  ++window_cur_;
  int oldest = -1;
  int youngest = -1;
  uint64_t oldest_age = 0;
  uint64_t youngest_age = UINT64_MAX;
  bool youngest_evicting = false;
  std::array<int, 2> decision{-1, -1};
  for (size_t i = 0; i < n; ++i) {
    const std::span<Window> slots(&windows_[i * window_], window_);
    Window& w = slots[window_cur_ % window_];
    w = Window{};
    const uint64_t evicted = after[i].evicted - before_[i].evicted;
    if (evicted > 0) {
      w.evicted_ratio = static_cast<float>(evicted) / static_cast<float>(evicted_total);
      w.evicted_seen = true;
      w.dirty = true;
    }
    if (after[i].outofmemory > before_[i].outofmemory || after[i].total_pages > before_[i].total_pages) w.dirty = true;
    w.age = after[i].age;
    uint64_t age_sum = 0;
    uint64_t evicted_seen = 0;
    float ratio_sum = 0;
    bool dirty = false;
    for (const Window& slot : slots) {
      age_sum += slot.age;
      evicted_seen += slot.evicted_seen;
      ratio_sum += slot.evicted_ratio;
      dirty = dirty || slot.dirty;
    }
    const uint64_t age = age_sum / window_;
    const int id = static_cast<int>(i) + 1;
    reclaimable_[i] = !dirty && static_cast<double>(after[i].free_chunks) >
                                    static_cast<double>(after[i].chunks_per_page) * kMinPagesForReclaim;
    if (reclaimable_[i] && decision[1] != 0) {
      decision = {id, 0};
      oldest = youngest = -1;
    }
    if (decision[1] == 0) continue;
    if (age > oldest_age && after[i].total_pages > kMinPagesForSource) {
      oldest = id;
      oldest_age = age;
    }
    if (age < youngest_age && (evicted_seen > window_ / 2 || ratio_sum / window_ > 0.25f)) {
      youngest = id;
      youngest_age = age;
      youngest_evicting = w.evicted_seen;
    }
  }
  before_ = std::move(after);
  if (decision[1] != 0 && youngest != -1 && oldest != -1 && window_cur_ > window_ && youngest_evicting &&
      static_cast<double>(youngest_age) < static_cast<double>(oldest_age) * age_ratio_.load(std::memory_order_relaxed)) {
    decision = {oldest, youngest};
  }
  return decision;
}

bool PageMover::overReclaimThreshold(SizeClass& cls) {
  std::lock_guard lock(cls.mutex());
  return static_cast<double>(cls.freeChunks()) > static_cast<double>(cls.chunksPerPage()) * kMinPagesForReclaim;
}

size_t PageMover::maintain(RelTime now) {
  std::lock_guard lock(mover_mutex_);
  size_t moved = 0;
  const uint32_t mode = this->mode();
  if (mode == 2) {
    const int dst = evicting_class_.exchange(0, std::memory_order_relaxed);
    const int src = dst != 0 ? pickAnySource(dst) : -1;
    if (src > 0 && movePage(*classes_[src - 1], classes_[dst - 1].get(), now)) ++moved;
  } else if (mode == 1 && now != last_run_) {
    last_run_ = now;
    const auto [src, dst] = automoveDecision(now);
    if (dst > 0) {
      if (movePage(*classes_[src - 1], classes_[dst - 1].get(), now)) ++moved;
    } else if (dst == 0) {
      // memcached loops without its one-second pause while classes have
      // pages to give back; so does this step, bounded.
      for (size_t i = 0; i < classes_.size() && moved < kPoolMovesPerStep; ++i) {
        if (!reclaimable_[i]) continue;
        SizeClass& cls = *classes_[i];
        while (moved < kPoolMovesPerStep && overReclaimThreshold(cls) && movePage(cls, nullptr, now)) ++moved;
      }
    }
  }
  // Over the limit (cache_memlimit lowered it): free whole pages' worth of
  // free chunks, emptiest page first, whatever the mode.
  while (pagesOwned() > pageLimit()) {
    SizeClass* most_free = nullptr;
    uint64_t most = 0;
    for (const auto& cls : classes_) {
      std::lock_guard class_lock(cls->mutex());
      if (cls->freeChunks() >= cls->chunksPerPage() && cls->freeChunks() > most) {
        most = cls->freeChunks();
        most_free = cls.get();
      }
    }
    if (most_free == nullptr || !movePage(*most_free, nullptr, now)) break;
    ++moved;
  }
  return moved;
}

PageMover::Counters PageMover::counters() const {
  Counters c;
  c.rescues = rescues_.load(std::memory_order_relaxed);
  c.evictions_nomem = evictions_nomem_.load(std::memory_order_relaxed);
  c.inline_reclaim = inline_reclaim_.load(std::memory_order_relaxed);
  c.busy_items = busy_items_.load(std::memory_order_relaxed);
  c.running = running_.load(std::memory_order_relaxed);
  std::lock_guard lock(pool_mutex_);
  c.pool_pages = pool_.size();
  return c;
}

void PageMover::resetCounters() {
  rescues_.store(0, std::memory_order_relaxed);
  evictions_nomem_.store(0, std::memory_order_relaxed);
  inline_reclaim_.store(0, std::memory_order_relaxed);
  busy_items_.store(0, std::memory_order_relaxed);
}

}  // namespace unbuckle::store
