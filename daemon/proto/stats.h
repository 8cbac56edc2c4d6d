// Counters behind memcached's `stats`. Each worker thread owns one
// WorkerStats and is its only writer (relaxed atomics so `stats` can read
// them from another thread); StatsRegistry folds them together.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace unbuckle::proto {

using Counter = std::atomic<uint64_t>;

inline void bump(Counter& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Every counter of WorkerStats, once: X(name). `stats reset` and the sums in
// StatsRegistry walk this list, so a counter added here is covered by both.
#define UNBUCKLE_WORKER_COUNTERS(X)                                           \
  /* Written by the datapaths. */                                             \
  X(bytes_read)                                                               \
  X(bytes_written)                                                            \
  X(udp_datagrams_in)                                                         \
  X(udp_datagrams_out)                                                        \
  X(udp_dropped_short)        /* <= 8 bytes */                                \
  X(udp_dropped_multipacket)  /* total != 1 */                                \
  X(udp_dropped_incomplete)   /* command or data block cut off by the datagram end */ \
  X(udp_reply_truncated)      /* replies to one request over its byte budget */ \
  X(udp_dropped_denied)       /* source not in --allow */                     \
  X(udp_dropped_over_budget)  /* source's reply budget spent (--udp-reply-rate) */ \
  /* Written by the engine, named as memcached's `stats` fields. */           \
  X(cmd_get)                                                                  \
  X(cmd_set)                                                                  \
  X(cmd_flush)                                                                \
  X(cmd_touch)                                                                \
  X(cmd_meta)                                                                 \
  X(get_hits)                                                                 \
  X(get_misses)                                                               \
  X(get_expired)                                                              \
  X(get_flushed)                                                              \
  X(delete_hits)                                                              \
  X(delete_misses)                                                            \
  X(incr_hits)                                                                \
  X(incr_misses)                                                              \
  X(decr_hits)                                                                \
  X(decr_misses)                                                              \
  X(cas_hits)                                                                 \
  X(cas_misses)                                                               \
  X(cas_badval)                                                               \
  X(touch_hits)                                                               \
  X(touch_misses)                                                             \
  X(store_too_large)                                                          \
  X(store_no_memory)                                                          \
  /* Written by the TCP datapath. */                                          \
  X(idle_kicks)               /* connections closed by --idle-timeout */

// Per slab class counters that `stats slabs` shows (memcached's slab_stats).
#define UNBUCKLE_SLAB_CLASS_COUNTERS(X) \
  X(get_hits)                           \
  X(cmd_set)                            \
  X(delete_hits)                        \
  X(incr_hits)                          \
  X(decr_hits)                          \
  X(cas_hits)                           \
  X(cas_badval)                         \
  X(touch_hits)                         \
  X(temp_lru_hits)  /* get hits on items in the temporary LRU */

// memcached's MAX_NUMBER_OF_SLAB_CLASSES: class ids are 1..63.
inline constexpr size_t kMaxSlabClasses = 64;

struct SlabClassCounters {
#define UNBUCKLE_DECLARE_COUNTER(name) Counter name{0};
  UNBUCKLE_SLAB_CLASS_COUNTERS(UNBUCKLE_DECLARE_COUNTER)
};

struct WorkerStats {
  UNBUCKLE_WORKER_COUNTERS(UNBUCKLE_DECLARE_COUNTER)
#undef UNBUCKLE_DECLARE_COUNTER
  // Indexed by Item::slabClass(); the engine bumps these next to the totals.
  std::array<SlabClassCounters, kMaxSlabClasses> slab_classes;

  SlabClassCounters& slabClass(uint8_t id) { return slab_classes[id % kMaxSlabClasses]; }
  const SlabClassCounters& slabClass(uint8_t id) const { return slab_classes[id % kMaxSlabClasses]; }
};

// Process-wide connection counters, written by the socket datapath.
// memcached counts a "connection" for each of its own listening sockets and
// UDP receive contexts too, and prints one less than it holds (memcached.c
// server_socket, conn_new); `stats` adds server_conns to the clients the
// same way.
struct ConnectionStats {
  std::atomic<uint64_t> curr_connections{0};    // accepted TCP clients open now
  std::atomic<uint64_t> total_connections{0};   // server_conns opened + clients accepted
  // One per TCP listening address, one per worker per UDP address: what
  // memcached -t N -l ADDR opens for the same addresses.
  std::atomic<uint64_t> server_conns{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> conn_yields{0};
  // TCP buffers short of memory (daemon/socket/buffer_pool.h): a command
  // line or data block that could not be read in (the connection closes),
  // a reply that could not be buffered (memcached's names).
  std::atomic<uint64_t> read_buf_oom{0};
  std::atomic<uint64_t> response_obj_oom{0};
  std::atomic<uint64_t> listen_disabled_num{0};
  std::atomic<uint64_t> time_in_listen_disabled_us{0};
  std::atomic<bool> accepting_conns{true};   // false while accept is paused at the limit
};

// Settings that commands change at run time; `stats settings` shows them.
struct RuntimeSettings {
  std::atomic<uint32_t> verbosity{0};     // `verbosity`
  std::atomic<uint32_t> oldest_live{0};   // last `flush_all` (memcached's settings.oldest_live)
  // `lru_crawler enable|disable|sleep|tocrawl`, memcached's defaults. Only
  // lru_crawler steers the store's crawler; the other two are shown.
  std::atomic<bool> lru_crawler{true};
  std::atomic<uint32_t> lru_crawler_sleep{100};
  std::atomic<uint32_t> lru_crawler_tocrawl{0};
  // `lru_crawler crawl` requests not yet done: the maintenance thread
  // (daemon/main.cpp) crawls every class once for them, then subtracts
  // what it saw; `stats` shows lru_crawler_running 1 meanwhile.
  std::atomic<uint32_t> crawls_pending{0};
};

// memcached's `stats detail`: per key prefix (the key up to its first ':',
// memcached's default -D) counts of get, hit, set and delete, recorded by
// get/gets/gat/gats, the storage commands and delete while `stats detail
// on` (off by default; then a record costs one relaxed load). `stats
// reset` clears them, `stats detail off` does not.
class PrefixStats {
 public:
  static constexpr char kDelimiter = ':';

  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  // Runs the change hook before it returns, so before `stats detail`'s reply.
  void setEnabled(bool on);
  // Called with the new state by every setEnabled(): a GET answered outside
  // the engine (the kernel cache) must stop while detail is on, or it would
  // go uncounted. Set before the workers serve.
  void setChangeHook(std::function<void(bool on)> hook) { change_hook_ = std::move(hook); }
  // Keys without the delimiter are not counted (as memcached).
  void recordGet(std::string_view key, bool hit);
  void recordSet(std::string_view key);
  void recordDelete(std::string_view key);
  // "PREFIX <p> get N hit N set N del N\r\n" per prefix (sorted; memcached
  // walks its hash table), then "END\r\n".
  std::string dump() const;
  void clear();

 private:
  struct Counts {
    uint64_t get = 0, hit = 0, set = 0, del = 0;
  };
  Counts* find(std::string_view key);   // mutex_ held; nullptr: no prefix

  std::atomic<bool> enabled_{false};
  std::mutex change_mutex_;   // the state and what the hook was told change together
  std::function<void(bool on)> change_hook_;
  mutable std::mutex mutex_;
  std::map<std::string, Counts, std::less<>> prefixes_;
};

// One socket as `stats conns` shows it (memcached's process_stats_conns):
// "<fd>:UDP UDP" for a UDP socket, then addr, listen_addr (for accepted
// connections only), state and secs_since_last_cmd.
struct ConnectionInfo {
  int fd = -1;
  bool udp = false;
  std::string addr;          // "tcp:127.0.0.1:40000", "udp6:[::1]:11211"
  std::string listen_addr;   // the local address of an accepted connection; else empty
  std::string state;         // memcached's state name: conn_listening, conn_read ...
  uint64_t secs_since_last_cmd = 0;
};

// Lists a datapath's sockets for `stats conns`, appending to the vector it
// is given; called from any worker thread.
using ConnectionLister = std::function<void(std::vector<ConnectionInfo>&)>;

// Counters of a datapath that `stats` shows after memcached's fields (the
// XDP program's and the AF_XDP workers'): name and value pairs appended to
// the list it is given. They count from start-up; `stats reset` leaves them.
using StatsSource = std::function<void(std::vector<std::pair<std::string, uint64_t>>&)>;

// Brings counters kept outside the datapaths up to date in a WorkerStats
// block of their own (the kernel cache writes the GET hits XDP answered
// there), so that they join memcached's fields and `stats reset` as any
// worker's do.
using StatsRefresher = std::function<void()>;

class StatsRegistry {
 public:
  StatsRegistry();
  // One block per worker; stable address for the registry's lifetime.
  WorkerStats& addWorker();
  ConnectionStats& connections() { return connections_; }
  RuntimeSettings& settings() { return settings_; }
  PrefixStats& prefixes() { return prefixes_; }
  time_t started() const { return started_; }
  // Sum of every worker's counter `field` since the last reset().
  uint64_t sum(Counter WorkerStats::*field) const;
  // The same for one slab class's counter.
  uint64_t sumSlabClass(uint8_t id, Counter SlabClassCounters::*field) const;
  // A ConnectionStats counter since the last reset().
  uint64_t connectionCount(std::atomic<uint64_t> ConnectionStats::*field) const;
  // `stats reset`: later sums count from now. Workers keep writing their own
  // blocks; the registry subtracts what they held at the reset.
  void reset();

  // A source's counters join `stats` until removeSource(id). Several
  // sources may give the same name (one per interface): the values add up.
  int addSource(StatsSource source);
  void removeSource(int id);
  std::vector<std::pair<std::string, uint64_t>> sourceStats() const;

  // refresh() runs the refresher until removeRefresher(id).
  int addRefresher(StatsRefresher refresher);
  void removeRefresher(int id);
  // Runs every refresher, one `stats` at a time: before the counters are
  // read or reset.
  void refresh();

  // A datapath's sockets join `stats conns` until removeConnectionLister(id).
  int addConnectionLister(ConnectionLister lister);
  void removeConnectionLister(int id);
  // Every listed socket, ordered by descriptor as memcached lists them.
  std::vector<ConnectionInfo> connectionList() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<WorkerStats>> workers_;
  std::unique_ptr<WorkerStats> baseline_;   // sums at the last reset()
  ConnectionStats connections_;
  ConnectionStats connection_baseline_;
  std::vector<std::pair<int, StatsSource>> sources_;
  int next_source_id_ = 0;
  std::vector<std::pair<int, ConnectionLister>> listers_;
  std::mutex refresh_mutex_;   // held while refreshers run, and to change them
  std::vector<std::pair<int, StatsRefresher>> refreshers_;
  RuntimeSettings settings_;
  PrefixStats prefixes_;
  time_t started_;
};

}  // namespace unbuckle::proto
