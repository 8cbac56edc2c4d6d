// `stats` and its subcommands, in memcached 1.6.18's field names, formats
// and order. The picture is memcached's with `-o no_lru_maintainer,
// no_slab_reassign` (one LRU per class, no `slabs reassign` command), which
// is what this store is, plus `slabs_moved` for the pages it moves between
// classes on demand; fields for machinery it does not have (libevent,
// response and read buffer pools, the logger, extstore, TLS) are left out
// rather than invented. Our own UDP counters follow memcached's general
// fields, then the datapaths' (StatsSource: xdp_*, afxdp_*).
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

void generalStats(CommandContext& ctx, StatLines& s) {
  const StatsRegistry& r = ctx.registry;
  ConnectionStats& conns = ctx.registry.connections();
  auto sum = [&](Counter WorkerStats::*field) { return r.sum(field); };
  const store::StoreStats store = ctx.store.stats();
  const store::RelTime now = ctx.clock().now();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);

  s.add("pid", static_cast<uint64_t>(getpid()));
  // memcached's current_time starts 2 s after its start, as RelTime does.
  s.add("uptime", uint64_t{now});
  s.add("time", static_cast<uint64_t>(ctx.clock().processStarted() + now));
  s.add("version", std::string_view(UNBUCKLE_MEMCACHED_VERSION));
  s.add("pointer_size", uint64_t{8 * sizeof(void*)});
  s.add("rusage_user", timeval(usage.ru_utime));
  s.add("rusage_system", timeval(usage.ru_stime));
  s.add("max_connections", uint64_t{ctx.config.max_connections});
  s.add("curr_connections", conns.curr_connections.load(std::memory_order_relaxed));
  s.add("total_connections", r.connectionCount(&ConnectionStats::total_connections));
  s.add("rejected_connections", r.connectionCount(&ConnectionStats::rejected_connections));
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
  s.add("bytes_read", sum(&WorkerStats::bytes_read));
  s.add("bytes_written", sum(&WorkerStats::bytes_written));
  s.add("limit_maxbytes", store.limit_maxbytes);
  s.add("accepting_conns", uint64_t{conns.accepting_conns.load(std::memory_order_relaxed)});
  s.add("listen_disabled_num", r.connectionCount(&ConnectionStats::listen_disabled_num));
  s.add("threads", uint64_t{ctx.config.threads});
  s.add("conn_yields", r.connectionCount(&ConnectionStats::conn_yields));
  s.add("hash_power_level", uint64_t{store.hash_power_level});
  s.add("hash_bytes", store.hash_bytes);
  s.add("hash_is_expanding", uint64_t{store.hash_is_expanding});
  s.add("slabs_moved", store.slabs_moved);
  // The store's crawler runs in steps, never "started" as memcached's.
  s.add("lru_crawler_starts", uint64_t{0});
  s.add("bytes", store.bytes);
  s.add("curr_items", store.curr_items);
  s.add("total_items", store.total_items);
  s.add("expired_unfetched", store.expired_unfetched);
  s.add("evicted_unfetched", store.evicted_unfetched);
  s.add("evictions", store.evictions);
  s.add("reclaimed", store.reclaimed);
  s.add("crawler_reclaimed", store.crawler_reclaimed);
  s.add("crawler_items_checked", store.crawler_items_checked);
  // One LRU per class: items never move between segments; every eviction
  // and reclaim happens in the allocating worker.
  s.add("moves_to_cold", uint64_t{0});
  s.add("moves_to_warm", uint64_t{0});
  s.add("moves_within_lru", uint64_t{0});
  s.add("direct_reclaims", store.evictions + store.reclaimed);
  s.add("total_malloced", store.total_malloced);
  s.add("unbuckle_version", std::string_view(UNBUCKLE_VERSION));
  s.add("udp_datagrams_in", sum(&WorkerStats::udp_datagrams_in));
  s.add("udp_datagrams_out", sum(&WorkerStats::udp_datagrams_out));
  s.add("udp_dropped_short", sum(&WorkerStats::udp_dropped_short));
  s.add("udp_dropped_multipacket", sum(&WorkerStats::udp_dropped_multipacket));
  s.add("udp_dropped_incomplete", sum(&WorkerStats::udp_dropped_incomplete));
  s.add("udp_dropped_denied", sum(&WorkerStats::udp_dropped_denied));
  s.add("udp_reply_truncated", sum(&WorkerStats::udp_reply_truncated));
  for (const auto& [name, value] : ctx.registry.sourceStats()) {
    s.add(name, value);
  }
}

void settingsStats(CommandContext& ctx, StatLines& s) {
  const store::StoreConfig& store = ctx.store.config();
  const RuntimeSettings& runtime = ctx.registry.settings();
  s.add("maxbytes", uint64_t{store.memory_limit});
  s.add("maxconns", uint64_t{ctx.config.max_connections});
  s.add("tcpport", uint64_t{ctx.config.tcp_port});
  s.add("udpport", uint64_t{ctx.config.udp_port});
  s.add("verbosity", uint64_t{runtime.verbosity.load(std::memory_order_relaxed)});
  s.add("oldest", uint64_t{runtime.oldest_live.load(std::memory_order_relaxed)});
  s.add("evictions", std::string_view("on"));
  s.add("shutdown_command", false);
  s.add("growth_factor", store.growth_factor);
  s.add("chunk_size", uint64_t{store.min_chunk});
  s.add("num_threads", uint64_t{ctx.config.threads});
  s.add("num_threads_per_udp", uint64_t{ctx.config.threads});
  s.add("detail_enabled", false);
  s.add("cas_enabled", true);
  s.add("binding_protocol", std::string_view("ascii"));
  s.add("auth_enabled_sasl", false);
  s.add("auth_enabled_ascii", false);
  s.add("item_size_max", uint64_t{store.max_item_size});
  s.add("slab_reassign", false);
  s.add("slab_automove", uint64_t{0});
  s.add("lru_crawler", runtime.lru_crawler.load(std::memory_order_relaxed));
  s.add("lru_crawler_sleep", uint64_t{runtime.lru_crawler_sleep.load(std::memory_order_relaxed)});
  s.add("lru_crawler_tocrawl", uint64_t{runtime.lru_crawler_tocrawl.load(std::memory_order_relaxed)});
  s.add("flush_enabled", true);
  s.add("dump_enabled", false);
  s.add("lru_maintainer_thread", false);
  s.add("lru_segmented", false);
  s.add("temp_lru", false);
  s.add("track_sizes", false);
}

void itemStats(CommandContext& ctx, StatLines& s) {
  for (const store::SlabClassStats& c : ctx.store.stats().classes) {
    if (c.items == 0) continue;
    auto add = [&](std::string_view name, uint64_t v) { s.addClass("items:", c.id, name, v); };
    add("number", c.items);
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
    add("crawler_reclaimed", c.crawler_reclaimed);
    add("lrutail_reflocked", 0);
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

void replyStats(CommandContext& ctx, StatLines& s) { ctx.reply(s.finish()); }

}  // namespace

void processStats(CommandContext& ctx, const Tokens& tokens) {
  StatLines s;
  if (tokens.count() == 1) {
    generalStats(ctx, s);
    replyStats(ctx, s);
    return;
  }
  const std::string_view sub = tokens[1];
  if (sub == "reset") {
    ctx.registry.reset();
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
  } else if (sub == "cachedump") {
    processStatsCachedump(ctx, tokens);
  } else {
    // detail, conns, sizes_enable, extstore, proxy and unknown names.
    ctx.reply(kError);
  }
}

}  // namespace unbuckle::proto
