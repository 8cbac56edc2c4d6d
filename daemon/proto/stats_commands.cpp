// `stats` and its subcommands, in memcached 1.6.18's field names, formats
// and order: every name Debian's memcached 1.6.18 prints with its default
// flags is printed here too, since monitoring (memcached_exporter) silently
// drops a metric whose name is missing. Where this server has the concept
// the value is its own (pages moved between classes, the crawler, direct
// reclaims, connections, reserved descriptors); where it has not, the value
// memcached prints with that feature off (TLS, extstore, the logger, response
// and read buffer pools). One LRU per class: every item counts as cold, every
// hit as hits_to_cold, nothing moves between segments. Our own counters
// (udp_*, then the datapaths' xdp_*, afxdp_* from StatsSource) follow
// memcached's fields.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string>

#include "proto/commands.h"
#include "proto/reply_text.h"
#include "unbuckle/version.h"

namespace unbuckle::proto {

namespace {

class StatLines {
 public:
  void add(std::string_view name, std::string_view value) {
    text_ += "STAT ";
    text_ += name;
    text_ += ' ';
    text_ += value;
    text_ += "\r\n";
  }
  void add(std::string_view name, uint64_t value) {
    char digits[20];
    const auto r = std::to_chars(digits, digits + sizeof digits, value);
    add(name, std::string_view(digits, static_cast<size_t>(r.ptr - digits)));
  }
  void add(std::string_view name, double value) {
    char text[32];
    const int n = std::snprintf(text, sizeof text, "%.2f", value);
    add(name, std::string_view(text, static_cast<size_t>(n)));
  }
  void add(std::string_view name, bool yes) { add(name, std::string_view(yes ? "yes" : "no")); }
  // "items:<id>:<name>" (stats items) or "<id>:<name>" (stats slabs).
  void addClass(std::string_view prefix, uint32_t id, std::string_view name, uint64_t value) {
    std::string key(prefix);
    key += std::to_string(id);
    key += ':';
    key += name;
    add(key, value);
  }
  std::string finish() {
    text_ += kEnd;
    return std::move(text_);
  }
  std::string& text() { return text_; }

 private:
  std::string text_;
};

std::string timeval(const ::timeval& tv) {
  char text[48];
  const int n = std::snprintf(text, sizeof text, "%ld.%06ld", static_cast<long>(tv.tv_sec),
                              static_cast<long>(tv.tv_usec));
  return std::string(text, static_cast<size_t>(n));
}

// Descriptors the process holds besides its client connections (listeners,
// UDP sockets, epoll, eventfds, BPF maps, AF_XDP sockets): memcached's
// reserved_fds, the ones -c does not count.
uint64_t reservedFds(uint64_t client_connections) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  uint64_t open = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++open;
  }
  closedir(dir);
  open -= 1;   // the directory's own descriptor
  return open > client_connections ? open - client_connections : 0;
}

void generalStats(CommandContext& ctx, StatLines& s) {
  const StatsRegistry& r = ctx.registry;
  ConnectionStats& conns = ctx.registry.connections();
  auto sum = [&](Counter WorkerStats::*field) { return r.sum(field); };
  const store::StoreStats store = ctx.store.stats();
  const store::RelTime now = ctx.clock().now();
  const RuntimeSettings& runtime = ctx.registry.settings();
  const uint64_t curr_connections = conns.curr_connections.load(std::memory_order_relaxed);
  // memcached prints curr_conns - 1 (its listener and UDP contexts counted).
  const uint64_t held = curr_connections + conns.server_conns.load(std::memory_order_relaxed);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);

  s.add("pid", static_cast<uint64_t>(getpid()));
  // memcached's current_time starts 2 s after its start, as RelTime does.
  s.add("uptime", uint64_t{now});
  s.add("time", static_cast<uint64_t>(ctx.clock().processStarted() + now));
  s.add("version", std::string_view(UNBUCKLE_MEMCACHED_VERSION));
  s.add("libevent", std::string_view("none"));   // epoll and AF_XDP rings, no libevent
  s.add("pointer_size", uint64_t{8 * sizeof(void*)});
  s.add("rusage_user", timeval(usage.ru_utime));
  s.add("rusage_system", timeval(usage.ru_stime));
  s.add("max_connections", uint64_t{ctx.config.max_connections});
  s.add("curr_connections", held > 0 ? held - 1 : 0);
  s.add("total_connections", r.connectionCount(&ConnectionStats::total_connections));
  s.add("rejected_connections", r.connectionCount(&ConnectionStats::rejected_connections));
  // Every socket `stats conns` lists: listeners, UDP sockets, clients.
  s.add("connection_structures", uint64_t{ctx.registry.connectionList().size()});
  // No pooled response objects or read buffers: each connection owns its
  // buffers, borrowing from one shared pool beyond a small guarantee; the
  // _oom counters count what that pool refused.
  s.add("response_obj_oom", r.connectionCount(&ConnectionStats::response_obj_oom));
  s.add("response_obj_count", uint64_t{0});
  s.add("response_obj_bytes", uint64_t{0});
  s.add("read_buf_count", uint64_t{0});
  s.add("read_buf_bytes", uint64_t{0});
  s.add("read_buf_bytes_free", uint64_t{0});
  s.add("read_buf_oom", r.connectionCount(&ConnectionStats::read_buf_oom));
  s.add("reserved_fds", reservedFds(curr_connections));
  s.add("cmd_get", sum(&WorkerStats::cmd_get));
  s.add("cmd_set", sum(&WorkerStats::cmd_set));
  s.add("cmd_flush", sum(&WorkerStats::cmd_flush));
  s.add("cmd_touch", sum(&WorkerStats::cmd_touch));
  s.add("cmd_meta", sum(&WorkerStats::cmd_meta));
  s.add("get_hits", sum(&WorkerStats::get_hits));
  s.add("get_misses", sum(&WorkerStats::get_misses));
  s.add("get_expired", sum(&WorkerStats::get_expired));
  s.add("get_flushed", sum(&WorkerStats::get_flushed));
  s.add("delete_misses", sum(&WorkerStats::delete_misses));
  s.add("delete_hits", sum(&WorkerStats::delete_hits));
  s.add("incr_misses", sum(&WorkerStats::incr_misses));
  s.add("incr_hits", sum(&WorkerStats::incr_hits));
  s.add("decr_misses", sum(&WorkerStats::decr_misses));
  s.add("decr_hits", sum(&WorkerStats::decr_hits));
  s.add("cas_misses", sum(&WorkerStats::cas_misses));
  s.add("cas_hits", sum(&WorkerStats::cas_hits));
  s.add("cas_badval", sum(&WorkerStats::cas_badval));
  s.add("touch_hits", sum(&WorkerStats::touch_hits));
  s.add("touch_misses", sum(&WorkerStats::touch_misses));
  s.add("store_too_large", sum(&WorkerStats::store_too_large));
  s.add("store_no_memory", sum(&WorkerStats::store_no_memory));
  s.add("auth_cmds", uint64_t{0});     // no authentication: never any
  s.add("auth_errors", uint64_t{0});
  if (ctx.config.idle_timeout != 0) s.add("idle_kicks", sum(&WorkerStats::idle_kicks));
  s.add("bytes_read", sum(&WorkerStats::bytes_read));
  s.add("bytes_written", sum(&WorkerStats::bytes_written));
  s.add("limit_maxbytes", store.limit_maxbytes);
  s.add("accepting_conns", uint64_t{conns.accepting_conns.load(std::memory_order_relaxed)});
  s.add("listen_disabled_num", r.connectionCount(&ConnectionStats::listen_disabled_num));
  s.add("time_in_listen_disabled_us", r.connectionCount(&ConnectionStats::time_in_listen_disabled_us));
  s.add("threads", uint64_t{ctx.config.threads});
  s.add("conn_yields", r.connectionCount(&ConnectionStats::conn_yields));
  s.add("hash_power_level", uint64_t{store.hash_power_level});
  s.add("hash_bytes", store.hash_bytes);
  s.add("hash_is_expanding", uint64_t{store.hash_is_expanding});
  s.add("slab_reassign_rescues", store.slab_reassign_rescues);
  s.add("slab_reassign_chunk_rescues", store.slab_reassign_chunk_rescues);
  s.add("slab_reassign_evictions_nomem", store.slab_reassign_evictions_nomem);
  s.add("slab_reassign_inline_reclaim", store.slab_reassign_inline_reclaim);
  s.add("slab_reassign_busy_items", store.slab_reassign_busy_items);
  s.add("slab_reassign_busy_deletes", store.slab_reassign_busy_deletes);
  s.add("slab_reassign_running", uint64_t{store.slab_reassign_running});
  s.add("slabs_moved", store.slabs_moved);
  // As memcached: the crawler's and the maintainer's counters only while
  // they run (--no-lru-crawler, `lru_crawler disable`, --no-lru-maintainer).
  const bool maintainer = ctx.config.lru_maintainer;
  if (runtime.lru_crawler.load(std::memory_order_relaxed)) {
    const bool requested = runtime.crawls_pending.load(std::memory_order_relaxed) != 0;
    s.add("lru_crawler_running", uint64_t{store.lru_crawler_running || requested});
    s.add("lru_crawler_starts", store.lru_crawler_starts);
  }
  if (maintainer) s.add("lru_maintainer_juggles", store.lru_maintainer_juggles);   // passes over the LRU tails
  s.add("malloc_fails", uint64_t{0});   // items live in a preallocated arena
  // No logger: `watch` streams nothing through these buffers.
  s.add("log_worker_dropped", uint64_t{0});
  s.add("log_worker_written", uint64_t{0});
  s.add("log_watcher_skipped", uint64_t{0});
  s.add("log_watcher_sent", uint64_t{0});
  s.add("log_watchers", uint64_t{0});
  s.add("unexpected_napi_ids", uint64_t{0});
  s.add("round_robin_fallback", uint64_t{0});
  s.add("bytes", store.bytes);
  s.add("curr_items", store.curr_items);
  s.add("total_items", store.total_items);
  s.add("slab_global_page_pool", store.slab_global_page_pool);
  s.add("expired_unfetched", store.expired_unfetched);
  s.add("evicted_unfetched", store.evicted_unfetched);
  if (maintainer) s.add("evicted_active", uint64_t{0});   // no active bit: one LRU per class
  s.add("evictions", store.evictions);
  s.add("reclaimed", store.reclaimed);
  s.add("crawler_reclaimed", store.crawler_reclaimed);
  s.add("crawler_items_checked", store.crawler_items_checked);
  s.add("lrutail_reflocked", uint64_t{0});   // no reference counts to find locked
  if (maintainer) {
    // One LRU per class: items never move between segments.
    s.add("moves_to_cold", uint64_t{0});
    s.add("moves_to_warm", uint64_t{0});
    s.add("moves_within_lru", uint64_t{0});
    s.add("direct_reclaims", store.direct_reclaims);
    s.add("lru_bumps_dropped", uint64_t{0});   // bumps are done inline, never queued
  }
  s.add("unbuckle_version", std::string_view(UNBUCKLE_VERSION));
  s.add("udp_datagrams_in", sum(&WorkerStats::udp_datagrams_in));
  s.add("udp_datagrams_out", sum(&WorkerStats::udp_datagrams_out));
  s.add("udp_dropped_short", sum(&WorkerStats::udp_dropped_short));
  s.add("udp_dropped_multipacket", sum(&WorkerStats::udp_dropped_multipacket));
  s.add("udp_dropped_incomplete", sum(&WorkerStats::udp_dropped_incomplete));
  s.add("udp_dropped_denied", sum(&WorkerStats::udp_dropped_denied));
  s.add("udp_dropped_over_budget", sum(&WorkerStats::udp_dropped_over_budget));
  s.add("udp_reply_truncated", sum(&WorkerStats::udp_reply_truncated));
  for (const auto& [name, value] : ctx.registry.sourceStats()) {
    s.add(name, value);
  }
}

void settingsStats(CommandContext& ctx, StatLines& s) {
  const store::StoreConfig& store = ctx.store.config();
  const RuntimeSettings& runtime = ctx.registry.settings();
  auto text = [&](std::string_view name, std::string_view value) { s.add(name, value); };
  s.add("maxbytes", ctx.store.stats().limit_maxbytes);   // follows cache_memlimit
  s.add("maxconns", uint64_t{ctx.config.max_connections});
  s.add("tcpport", uint64_t{ctx.config.tcp_port});
  s.add("udpport", uint64_t{ctx.config.udp_port});
  text("inter", ctx.config.listen.empty() ? std::string_view("NULL") : ctx.config.listen);
  s.add("verbosity", uint64_t{runtime.verbosity.load(std::memory_order_relaxed)});
  s.add("oldest", uint64_t{runtime.oldest_live.load(std::memory_order_relaxed)});
  text("evictions", store.evictions ? "on" : "off");
  text("domain_socket", "NULL");   // no unix socket
  text("umask", "700");
  s.add("shutdown_command", static_cast<bool>(ctx.config.shutdown));
  s.add("growth_factor", store.growth_factor);
  s.add("chunk_size", uint64_t{store.min_chunk});
  s.add("num_threads", uint64_t{ctx.config.threads});
  s.add("num_threads_per_udp", uint64_t{ctx.config.threads});
  text("stat_key_prefix", std::string_view(&PrefixStats::kDelimiter, 1));
  s.add("detail_enabled", ctx.registry.prefixes().enabled());
  s.add("reqs_per_event", uint64_t{20});   // commands per connection per event (socket/tcp_connection.h)
  s.add("cas_enabled", store.use_cas);
  s.add("tcp_backlog", uint64_t{1024});
  text("binding_protocol", "ascii");   // no binary protocol
  s.add("auth_enabled_sasl", false);
  s.add("auth_enabled_ascii", false);
  s.add("item_size_max", uint64_t{store.max_item_size});
  s.add("maxconns_fast", true);   // over -c: "ERROR Too many open connections" at once
  s.add("hashpower_init", uint64_t{0});
  s.add("slab_reassign", true);   // pages move between classes (page_mover.h)
  const store::StoreStats mover = ctx.store.stats();
  s.add("slab_automove", uint64_t{mover.slab_automove});
  s.add("slab_automove_ratio", mover.slab_automove_ratio);
  s.add("slab_automove_window", uint64_t{mover.slab_automove_window});
  s.add("slab_chunk_max", uint64_t{store.max_item_size});   // items are never split into chunks
  s.add("lru_crawler", runtime.lru_crawler.load(std::memory_order_relaxed));
  s.add("lru_crawler_sleep", uint64_t{runtime.lru_crawler_sleep.load(std::memory_order_relaxed)});
  s.add("lru_crawler_tocrawl", uint64_t{runtime.lru_crawler_tocrawl.load(std::memory_order_relaxed)});
  s.add("tail_repair_time", uint64_t{0});
  s.add("flush_enabled", ctx.config.flush_enabled);
  s.add("dump_enabled", ctx.config.dump_enabled);
  text("hash_algorithm", "fold-multiply");   // store/key_hash.cpp
  // The maintenance thread reclaims at the LRU tails as memcached's
  // maintainer does (daemon/main.cpp); one LRU per class, so the segment
  // sizes are shown at memcached's defaults.
  s.add("lru_maintainer_thread", ctx.config.lru_maintainer);
  s.add("lru_segmented", false);
  s.add("hot_lru_pct", uint64_t{20});
  s.add("warm_lru_pct", uint64_t{40});
  text("hot_max_factor", "0.20");
  text("warm_max_factor", "2.00");
  const store::Store::TemporaryLru temp = ctx.store.temporaryLru();
  s.add("temp_lru", temp.on);
  s.add("temporary_ttl", uint64_t{temp.ttl});
  s.add("idle_timeout", uint64_t{ctx.config.idle_timeout});
  s.add("watcher_logbuf_size", uint64_t{262144});
  s.add("worker_logbuf_size", uint64_t{65536});
  s.add("read_buf_mem_limit", uint64_t{0});
  s.add("track_sizes", false);
  s.add("inline_ascii_response", false);
  // Extstore and TLS are not built in: memcached's values with them off.
  s.add("ext_item_size", uint64_t{512});
  s.add("ext_item_age", uint64_t{UINT32_MAX});
  s.add("ext_low_ttl", uint64_t{0});
  s.add("ext_recache_rate", uint64_t{2000});
  s.add("ext_wbuf_size", uint64_t{4u << 20});
  s.add("ext_compact_under", uint64_t{0});
  s.add("ext_drop_under", uint64_t{0});
  s.add("ext_max_sleep", uint64_t{1000000});
  text("ext_max_frag", "0.80");
  text("slab_automove_freeratio", "0.010");
  s.add("ext_drop_unread", false);
  s.add("ssl_enabled", false);
  text("ssl_chain_cert", "(null)");
  text("ssl_key", "(null)");
  s.add("ssl_verify_mode", uint64_t{0});
  s.add("ssl_keyformat", uint64_t{1});
  text("ssl_ciphers", "NULL");
  text("ssl_ca_cert", "NULL");
  s.add("ssl_wbuf_size", uint64_t{16384});
  s.add("ssl_session_cache", false);
  s.add("ssl_kernel_tls", false);
  text("ssl_min_version", "tlsv1.2");
  text("num_napi_ids", "(null)");
  text("memory_file", "(null)");
}

void itemStats(CommandContext& ctx, StatLines& s) {
  const StatsRegistry& r = ctx.registry;
  for (const store::SlabClassStats& c : ctx.store.stats().classes) {
    if (c.items == 0) continue;
    const auto id = static_cast<uint8_t>(c.id);
    auto add = [&](std::string_view name, uint64_t v) { s.addClass("items:", c.id, name, v); };
    // One evictable LRU per class, shown as cold (its items and hits), and
    // the temporary LRU, whose get hits are counted apart.
    const uint64_t temp_hits = r.sumSlabClass(id, &SlabClassCounters::temp_lru_hits);
    const uint64_t all_hits = r.sumSlabClass(id, &SlabClassCounters::get_hits) +
                              r.sumSlabClass(id, &SlabClassCounters::touch_hits);
    // The counters are read one after another while workers count on.
    const uint64_t hits = all_hits > temp_hits ? all_hits - temp_hits : 0;
    const bool temp_lru = ctx.store.temporaryLru().on;
    // Without the maintainer memcached has no segments, so shows none.
    const bool maintainer = ctx.config.lru_maintainer;
    add("number", c.items);
    if (maintainer) {
      add("number_hot", 0);
      add("number_warm", 0);
      add("number_cold", c.items - c.temp_items);
      if (temp_lru) add("number_temp", c.temp_items);
      add("age_hot", 0);
      add("age_warm", 0);
    }
    add("age", c.oldest_age);
    add("mem_requested", c.mem_requested);
    add("evicted", c.evicted);
    add("evicted_nonzero", c.evicted_nonzero);
    add("evicted_time", c.evicted_time);
    add("outofmemory", c.outofmemory);
    add("tailrepairs", 0);   // no reference counts, so no stuck tails to repair
    add("reclaimed", c.reclaimed);
    add("expired_unfetched", c.expired_unfetched);
    add("evicted_unfetched", c.evicted_unfetched);
    if (maintainer) add("evicted_active", 0);
    add("crawler_reclaimed", c.crawler_reclaimed);
    add("crawler_items_checked", c.crawler_items_checked);
    add("lrutail_reflocked", 0);
    if (!maintainer) continue;
    add("moves_to_cold", 0);
    add("moves_to_warm", 0);
    add("moves_within_lru", 0);
    add("direct_reclaims", c.direct_reclaims);
    add("hits_to_hot", 0);
    add("hits_to_warm", 0);
    add("hits_to_cold", hits);
    add("hits_to_temp", temp_hits);
  }
}

void slabStats(CommandContext& ctx, StatLines& s) {
  const store::StoreStats store = ctx.store.stats();
  const StatsRegistry& r = ctx.registry;
  for (const store::SlabClassStats& c : store.classes) {
    const auto id = static_cast<uint8_t>(c.id);
    auto add = [&](std::string_view name, uint64_t v) { s.addClass("", c.id, name, v); };
    auto hits = [&](Counter SlabClassCounters::*field) { return r.sumSlabClass(id, field); };
    add("chunk_size", c.chunk_size);
    add("chunks_per_page", c.chunks_per_page);
    add("total_pages", c.total_pages);
    add("total_chunks", c.total_chunks);
    add("used_chunks", c.used_chunks);
    add("free_chunks", c.free_chunks);
    add("free_chunks_end", 0);   // dead in memcached too: always 0
    add("get_hits", hits(&SlabClassCounters::get_hits));
    add("cmd_set", hits(&SlabClassCounters::cmd_set));
    add("delete_hits", hits(&SlabClassCounters::delete_hits));
    add("incr_hits", hits(&SlabClassCounters::incr_hits));
    add("decr_hits", hits(&SlabClassCounters::decr_hits));
    add("cas_hits", hits(&SlabClassCounters::cas_hits));
    add("cas_badval", hits(&SlabClassCounters::cas_badval));
    add("touch_hits", hits(&SlabClassCounters::touch_hits));
  }
  s.add("active_slabs", uint64_t{store.classes.size()});
  s.add("total_malloced", store.total_malloced);
}

// memcached's process_stats_conns(): one group of lines per socket.
void connStats(CommandContext& ctx, StatLines& s) {
  for (const ConnectionInfo& c : ctx.registry.connectionList()) {
    const std::string fd = std::to_string(c.fd) + ':';
    if (c.udp) s.add(fd + "UDP", std::string_view("UDP"));
    s.add(fd + "addr", c.addr);
    if (!c.listen_addr.empty()) s.add(fd + "listen_addr", c.listen_addr);
    s.add(fd + "state", c.state);
    s.add(fd + "secs_since_last_cmd", c.secs_since_last_cmd);
  }
}

void detailStats(CommandContext& ctx, const Tokens& tokens) {
  PrefixStats& prefixes = ctx.registry.prefixes();
  const std::string_view what = tokens.count() > 2 ? tokens[2] : std::string_view();
  if (what == "on" || what == "off") {
    prefixes.setEnabled(what == "on");
    ctx.reply("OK\r\n");
  } else if (what == "dump") {
    ctx.reply(prefixes.dump());
  } else {
    ctx.reply("CLIENT_ERROR usage: stats detail on|off|dump\r\n");
  }
}

void replyStats(CommandContext& ctx, StatLines& s) { ctx.reply(s.finish()); }

}  // namespace

void processStats(CommandContext& ctx, const Tokens& tokens) {
  ctx.registry.refresh();
  StatLines s;
  if (tokens.count() == 1) {
    generalStats(ctx, s);
    replyStats(ctx, s);
    return;
  }
  const std::string_view sub = tokens[1];
  if (sub == "reset") {
    ctx.registry.reset();
    ctx.store.resetStats();
    ctx.reply("RESET\r\n");
  } else if (sub == "settings") {
    settingsStats(ctx, s);
    replyStats(ctx, s);
  } else if (sub == "items") {
    itemStats(ctx, s);
    replyStats(ctx, s);
  } else if (sub == "slabs") {
    slabStats(ctx, s);
    replyStats(ctx, s);
  } else if (sub == "sizes") {
    s.add("sizes_status", std::string_view("disabled"));
    replyStats(ctx, s);
  } else if (sub == "sizes_disable") {
    // memcached answers this one without END.
    s.add("sizes_status", std::string_view("disabled"));
    ctx.reply(s.text());
  } else if (sub == "conns") {
    connStats(ctx, s);
    replyStats(ctx, s);
  } else if (sub == "detail") {
    detailStats(ctx, tokens);
  } else if (sub == "cachedump") {
    processStatsCachedump(ctx, tokens);
  } else {
    // sizes_enable, extstore, proxy and unknown names.
    ctx.reply(kError);
  }
}

}  // namespace unbuckle::proto
