// `stats` output: memcached's names, formats and order; subcommands;
// StatsRegistry sums and reset.
#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include "engine_fixture.h"

namespace unbuckle::proto::testing {
namespace {

using StatsTest = EngineTest;

// Parses "STAT <name> <value>\r\n"... "END\r\n" into (name, value) in order.
std::vector<std::pair<std::string, std::string>> parseStats(const std::string& reply) {
  std::vector<std::pair<std::string, std::string>> stats;
  std::istringstream in(reply);
  std::string line;
  while (std::getline(in, line)) {
    EXPECT_TRUE(!line.empty() && line.back() == '\r') << line;
    line.pop_back();
    if (line == "END") break;
    std::istringstream fields(line);
    std::string stat, name, value;
    fields >> stat >> name >> value;
    EXPECT_EQ(stat, "STAT");
    stats.emplace_back(name, value);
  }
  return stats;
}

// memcached's "%ld.%06ld" for rusage (memcached_exporter needs it).
bool isSecondsDotMicros(const std::string& v) {
  const size_t dot = v.find('.');
  if (dot == std::string::npos || dot == 0 || v.size() - dot - 1 != 6) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i != dot && !std::isdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  return true;
}

std::map<std::string, std::string> asMap(const std::vector<std::pair<std::string, std::string>>& v) {
  return {v.begin(), v.end()};
}

// Field names of memcached 1.6.18 (Debian's build, default flags, TCP and
// UDP on), in order, as `stats`, `stats settings` and `stats items` (one
// class, without its "items:<id>:" prefix) print them.
constexpr std::string_view kMemcachedGeneral =
    "pid uptime time version libevent pointer_size rusage_user rusage_system max_connections "
    "curr_connections total_connections rejected_connections connection_structures "
    "response_obj_oom response_obj_count response_obj_bytes read_buf_count read_buf_bytes "
    "read_buf_bytes_free read_buf_oom reserved_fds cmd_get cmd_set cmd_flush cmd_touch cmd_meta "
    "get_hits get_misses get_expired get_flushed delete_misses delete_hits incr_misses incr_hits "
    "decr_misses decr_hits cas_misses cas_hits cas_badval touch_hits touch_misses store_too_large "
    "store_no_memory auth_cmds auth_errors bytes_read bytes_written limit_maxbytes accepting_conns "
    "listen_disabled_num time_in_listen_disabled_us threads conn_yields hash_power_level hash_bytes "
    "hash_is_expanding slab_reassign_rescues slab_reassign_chunk_rescues "
    "slab_reassign_evictions_nomem slab_reassign_inline_reclaim slab_reassign_busy_items "
    "slab_reassign_busy_deletes slab_reassign_running slabs_moved lru_crawler_running "
    "lru_crawler_starts lru_maintainer_juggles malloc_fails log_worker_dropped log_worker_written "
    "log_watcher_skipped log_watcher_sent log_watchers unexpected_napi_ids round_robin_fallback "
    "bytes curr_items total_items slab_global_page_pool expired_unfetched evicted_unfetched "
    "evicted_active evictions reclaimed crawler_reclaimed crawler_items_checked lrutail_reflocked "
    "moves_to_cold moves_to_warm moves_within_lru direct_reclaims lru_bumps_dropped";

constexpr std::string_view kMemcachedSettings =
    "maxbytes maxconns tcpport udpport inter verbosity oldest evictions domain_socket umask "
    "shutdown_command growth_factor chunk_size num_threads num_threads_per_udp stat_key_prefix "
    "detail_enabled reqs_per_event cas_enabled tcp_backlog binding_protocol auth_enabled_sasl "
    "auth_enabled_ascii item_size_max maxconns_fast hashpower_init slab_reassign slab_automove "
    "slab_automove_ratio slab_automove_window slab_chunk_max lru_crawler lru_crawler_sleep "
    "lru_crawler_tocrawl tail_repair_time flush_enabled dump_enabled hash_algorithm "
    "lru_maintainer_thread lru_segmented hot_lru_pct warm_lru_pct hot_max_factor warm_max_factor "
    "temp_lru temporary_ttl idle_timeout watcher_logbuf_size worker_logbuf_size read_buf_mem_limit "
    "track_sizes inline_ascii_response ext_item_size ext_item_age ext_low_ttl ext_recache_rate "
    "ext_wbuf_size ext_compact_under ext_drop_under ext_max_sleep ext_max_frag "
    "slab_automove_freeratio ext_drop_unread ssl_enabled ssl_chain_cert ssl_key ssl_verify_mode "
    "ssl_keyformat ssl_ciphers ssl_ca_cert ssl_wbuf_size ssl_session_cache ssl_kernel_tls "
    "ssl_min_version num_napi_ids memory_file";

constexpr std::string_view kMemcachedItemsPerClass =
    "number number_hot number_warm number_cold age_hot age_warm age mem_requested evicted "
    "evicted_nonzero evicted_time outofmemory tailrepairs reclaimed expired_unfetched "
    "evicted_unfetched evicted_active crawler_reclaimed crawler_items_checked lrutail_reflocked "
    "moves_to_cold moves_to_warm moves_within_lru direct_reclaims hits_to_hot hits_to_warm "
    "hits_to_cold hits_to_temp";

std::vector<std::string> names(std::string_view list) {
  std::vector<std::string> out;
  std::istringstream in{std::string(list)};
  for (std::string name; in >> name;) out.push_back(name);
  return out;
}

std::vector<std::string> namesOf(const std::vector<std::pair<std::string, std::string>>& stats) {
  std::vector<std::string> out;
  for (const auto& s : stats) out.push_back(s.first);
  return out;
}

TEST_F(StatsTest, GeneralStatsInMemcachedOrderAndFormat) {
  tcp("set a 0 0 1\r\nx\r\nget a b\r\n");
  const std::string reply = tcp("stats\r\n");
  ASSERT_TRUE(reply.ends_with("END\r\n"));
  const auto stats = parseStats(reply);
  // Every name Debian's memcached 1.6.18 prints at its defaults, in its
  // order, then our version and UDP counters.
  std::vector<std::string> order = names(kMemcachedGeneral);
  order.emplace_back("unbuckle_version");
  for (const char* udp : {"udp_datagrams_in", "udp_datagrams_out", "udp_dropped_short",
                          "udp_dropped_multipacket", "udp_dropped_incomplete", "udp_dropped_denied",
                          "udp_dropped_over_budget", "udp_reply_truncated"}) {
    order.emplace_back(udp);
  }
  EXPECT_EQ(namesOf(stats), order);

  const auto m = asMap(stats);
  EXPECT_EQ(m.at("pid"), std::to_string(getpid()));
  EXPECT_EQ(m.at("uptime"), "2");
  EXPECT_EQ(m.at("time"), std::to_string(clock_.processStarted() + 2));
  EXPECT_EQ(m.at("version"), "1.6.18");
  EXPECT_EQ(m.at("unbuckle_version"), UNBUCKLE_VERSION);
  EXPECT_EQ(m.at("pointer_size"), "64");
  EXPECT_TRUE(isSecondsDotMicros(m.at("rusage_user"))) << m.at("rusage_user");
  EXPECT_TRUE(isSecondsDotMicros(m.at("rusage_system"))) << m.at("rusage_system");
  EXPECT_EQ(m.at("cmd_get"), "2");
  EXPECT_EQ(m.at("get_hits"), "1");
  EXPECT_EQ(m.at("get_misses"), "1");
  EXPECT_EQ(m.at("cmd_set"), "1");
  EXPECT_EQ(m.at("curr_items"), "1");
  EXPECT_EQ(m.at("total_items"), "1");
  EXPECT_EQ(m.at("limit_maxbytes"), std::to_string(64u << 20));
  EXPECT_EQ(m.at("accepting_conns"), "1");
  EXPECT_EQ(m.at("threads"), "1");
}

TEST_F(StatsTest, ConnectionCountersComeFromTheRegistry) {
  registry_.connections().curr_connections = 3;
  registry_.connections().server_conns = 3;   // a listener and two UDP contexts
  registry_.connections().total_connections = 10;
  registry_.connections().accepting_conns = false;
  const auto m = asMap(parseStats(tcp("stats\r\n")));
  EXPECT_EQ(m.at("curr_connections"), "5");   // memcached: every conn held, less one
  EXPECT_EQ(m.at("total_connections"), "10");
  EXPECT_EQ(m.at("accepting_conns"), "0");
}

TEST_F(StatsTest, DatapathSourcesFollowInOrderAndAddUpByName) {
  auto source = [](uint64_t base) {
    return [base](std::vector<std::pair<std::string, uint64_t>>& out) {
      out.emplace_back("xdp_redirect", base);
      out.emplace_back("afxdp_rx_frames", base + 1);
    };
  };
  const int first = registry_.addSource(source(10));
  const int second = registry_.addSource(source(100));
  auto stats = parseStats(tcp("stats\r\n"));
  ASSERT_GE(stats.size(), 3u);
  EXPECT_EQ(stats[stats.size() - 3].first, "udp_reply_truncated");
  EXPECT_EQ(stats[stats.size() - 2], (std::pair<std::string, std::string>{"xdp_redirect", "110"}));
  EXPECT_EQ(stats[stats.size() - 1], (std::pair<std::string, std::string>{"afxdp_rx_frames", "112"}));

  registry_.removeSource(first);
  registry_.removeSource(second);
  stats = parseStats(tcp("stats\r\n"));
  EXPECT_EQ(stats.back().first, "udp_reply_truncated");
}

TEST_F(StatsTest, Settings) {
  tcp("verbosity 1\r\n");
  const auto m = asMap(parseStats(tcp("stats settings\r\n")));
  EXPECT_EQ(m.at("maxbytes"), std::to_string(64u << 20));
  EXPECT_EQ(m.at("maxconns"), "1024");
  EXPECT_EQ(m.at("tcpport"), "11211");
  EXPECT_EQ(m.at("udpport"), "11211");
  EXPECT_EQ(m.at("verbosity"), "1");
  EXPECT_EQ(m.at("evictions"), "on");
  EXPECT_EQ(m.at("growth_factor"), "1.25");
  EXPECT_EQ(m.at("chunk_size"), "48");
  EXPECT_EQ(m.at("num_threads"), "1");
  EXPECT_EQ(m.at("item_size_max"), "1048576");
  EXPECT_EQ(m.at("cas_enabled"), "yes");
  EXPECT_EQ(m.at("lru_crawler"), "yes");
  EXPECT_EQ(m.at("lru_maintainer_thread"), "yes");
  EXPECT_EQ(m.at("idle_timeout"), "0");
  EXPECT_EQ(m.at("stat_key_prefix"), ":");
  EXPECT_EQ(namesOf(parseStats(tcp("stats settings\r\n"))), names(kMemcachedSettings));
  // "stats settings extra" still answers (memcached looks at one word).
  EXPECT_EQ(tcp("stats settings extra\r\n"), tcp("stats settings\r\n"));
}

// The page mover's settings as memcached prints them, following `slabs
// automove` (the window is fixed at start-up, as in memcached).
TEST_F(StatsTest, SettingsShowTheAutomover) {
  auto m = asMap(parseStats(tcp("stats settings\r\n")));
  EXPECT_EQ(m.at("slab_automove"), "1");
  EXPECT_EQ(m.at("slab_automove_ratio"), "0.80");
  EXPECT_EQ(m.at("slab_automove_window"), "30");
  EXPECT_EQ(tcp("slabs automove ratio 0.25\r\nslabs automove 2\r\n"), "OK\r\nOK\r\n");
  m = asMap(parseStats(tcp("stats settings\r\n")));
  EXPECT_EQ(m.at("slab_automove"), "2");
  EXPECT_EQ(m.at("slab_automove_ratio"), "0.25");
}

TEST_F(StatsTest, FlushAllShowsInOldest) {
  tcp("flush_all\r\n");
  EXPECT_EQ(asMap(parseStats(tcp("stats settings\r\n"))).at("oldest"), "1");
}

TEST_F(StatsTest, ItemsAndSlabsPerClass) {
  tcp("set a 0 0 1\r\nx\r\nset b 0 0 1\r\ny\r\nget a\r\nincr c 1\r\n");
  const uint8_t cls = store_.access("a", [](store::Access& a) { return a.item()->slabClass(); });
  const std::string prefix = std::to_string(cls) + ":";

  const auto item_list = parseStats(tcp("stats items\r\n"));
  std::vector<std::string> expected;
  for (const auto& name : names(kMemcachedItemsPerClass)) expected.push_back("items:" + prefix + name);
  EXPECT_EQ(namesOf(item_list), expected);
  const auto items = asMap(item_list);
  EXPECT_EQ(items.at("items:" + prefix + "number"), "2");
  // One LRU per class: all cold, hits (get, touch) to cold.
  EXPECT_EQ(items.at("items:" + prefix + "number_cold"), "2");
  EXPECT_EQ(items.at("items:" + prefix + "number_hot"), "0");
  EXPECT_EQ(items.at("items:" + prefix + "hits_to_cold"), "1");

  const auto slabs = parseStats(tcp("stats slabs\r\n"));
  const auto m = asMap(slabs);
  EXPECT_EQ(m.at(prefix + "cmd_set"), "2");
  EXPECT_EQ(m.at(prefix + "get_hits"), "1");
  EXPECT_EQ(m.at(prefix + "free_chunks_end"), "0");
  EXPECT_EQ(m.at("active_slabs"), std::to_string(store_.stats().classes.size()));
  EXPECT_EQ(slabs.back().first, "total_malloced");
}

TEST_F(StatsTest, OtherSubcommands) {
  EXPECT_EQ(tcp("stats sizes\r\n"), "STAT sizes_status disabled\r\nEND\r\n");
  EXPECT_EQ(tcp("stats sizes_disable\r\n"), "STAT sizes_status disabled\r\n");
  EXPECT_EQ(tcp("stats foo\r\nstats foo bar\r\n"), "ERROR\r\nERROR\r\n");
}

// memcached 1.6.18's answers, byte for byte (tested against it).
TEST_F(StatsTest, DetailCountsPerPrefixWhileOn) {
  EXPECT_EQ(tcp("stats detail dump\r\n"), "END\r\n");
  tcp("set p:a 0 0 1\r\nx\r\nget p:a\r\n");   // off: not counted
  EXPECT_EQ(tcp("stats detail on\r\n"), "OK\r\n");
  tcp("set p:a 0 0 1\r\nx\r\nget p:a p:b\r\ndelete p:a\r\nget nokey\r\nset q:z 0 0 1\r\ny\r\n");
  const std::string dump =
      "PREFIX p get 2 hit 1 set 1 del 1\r\nPREFIX q get 0 hit 0 set 1 del 0\r\nEND\r\n";
  EXPECT_EQ(tcp("stats detail dump\r\n"), dump);
  EXPECT_EQ(asMap(parseStats(tcp("stats settings\r\n"))).at("detail_enabled"), "yes");
  EXPECT_EQ(tcp("stats detail off\r\n"), "OK\r\n");
  tcp("get p:a\r\n");
  EXPECT_EQ(tcp("stats detail dump\r\n"), dump);   // off keeps what was counted
  EXPECT_EQ(tcp("stats detail\r\nstats detail xx\r\n"),
            "CLIENT_ERROR usage: stats detail on|off|dump\r\n"
            "CLIENT_ERROR usage: stats detail on|off|dump\r\n");
  tcp("stats reset\r\n");
  EXPECT_EQ(tcp("stats detail dump\r\n"), "END\r\n");
}

TEST_F(StatsTest, ConnsListsWhatTheDatapathsRegister) {
  EXPECT_EQ(tcp("stats conns\r\n"), "END\r\n");
  const int id = registry_.addConnectionLister([](std::vector<ConnectionInfo>& out) {
    out.push_back({30, false, "tcp:127.0.0.1:40000", "tcp:127.0.0.1:11211", "conn_parse_cmd", 0});
    out.push_back({7, true, "udp:127.0.0.1:11211", "", "conn_read", 12});
    out.push_back({6, false, "tcp:127.0.0.1:11211", "", "conn_listening", 12});
  });
  EXPECT_EQ(tcp("stats conns\r\n"),
            "STAT 6:addr tcp:127.0.0.1:11211\r\n"
            "STAT 6:state conn_listening\r\n"
            "STAT 6:secs_since_last_cmd 12\r\n"
            "STAT 7:UDP UDP\r\n"
            "STAT 7:addr udp:127.0.0.1:11211\r\n"
            "STAT 7:state conn_read\r\n"
            "STAT 7:secs_since_last_cmd 12\r\n"
            "STAT 30:addr tcp:127.0.0.1:40000\r\n"
            "STAT 30:listen_addr tcp:127.0.0.1:11211\r\n"
            "STAT 30:state conn_parse_cmd\r\n"
            "STAT 30:secs_since_last_cmd 0\r\n"
            "END\r\n");
  EXPECT_EQ(asMap(parseStats(tcp("stats\r\n"))).at("connection_structures"), "3");
  registry_.removeConnectionLister(id);
  EXPECT_EQ(tcp("stats conns\r\n"), "END\r\n");
}

TEST_F(StatsTest, IdleKicksShownOnlyWithAnIdleTimeout) {
  EXPECT_FALSE(asMap(parseStats(tcp("stats\r\n"))).count("idle_kicks"));
  EngineConfig config;
  config.idle_timeout = 30;
  Engine engine(store_, config, registry_);
  bump(worker_.idle_kicks, 2);
  RecordingSink sink;
  Session session;
  engine.process("stats\r\nstats settings\r\n", sink, session, worker_);
  const auto general = parseStats(sink.responses().at(0));
  const auto names = namesOf(general);
  const auto kicks = std::find(names.begin(), names.end(), "idle_kicks");
  ASSERT_NE(kicks, names.end());
  EXPECT_EQ(*(kicks - 1), "auth_errors");   // memcached's place for it
  EXPECT_EQ(general[kicks - names.begin()].second, "2");
  EXPECT_EQ(asMap(parseStats(sink.responses().at(1))).at("idle_timeout"), "30");
}

// memcached 1.6.18 -o no_lru_crawler,no_lru_maintainer leaves out the
// crawler's and the maintainer's fields (captured from it: `stats`, a
// class of `stats items`, and two lines of `stats settings`).
TEST_F(StatsTest, WithoutCrawlerAndMaintainerTheirFieldsGo) {
  EngineConfig config;
  config.lru_crawler = false;
  config.lru_maintainer = false;
  Engine engine(store_, config, registry_);
  RecordingSink sink;
  Session session;
  engine.process("set a 0 0 1\r\nx\r\nstats\r\nstats items\r\nstats settings\r\n", sink, session,
                 worker_);
  std::vector<std::string> general = names(kMemcachedGeneral);
  std::erase_if(general, [](const std::string& name) {
    return name == "lru_crawler_running" || name == "lru_crawler_starts" ||
           name == "lru_maintainer_juggles" || name == "evicted_active" ||
           name.starts_with("moves_") || name == "direct_reclaims" || name == "lru_bumps_dropped";
  });
  std::vector<std::string> got = namesOf(parseStats(sink.responses().at(1)));
  got.resize(std::find(got.begin(), got.end(), "unbuckle_version") - got.begin());
  EXPECT_EQ(got, general);
  std::vector<std::string> items;
  for (const auto& [name, value] : parseStats(sink.responses().at(2))) {
    items.push_back(name.substr(name.find(':', 6) + 1));
  }
  EXPECT_EQ(items, names("number age mem_requested evicted evicted_nonzero evicted_time "
                         "outofmemory tailrepairs reclaimed expired_unfetched evicted_unfetched "
                         "crawler_reclaimed crawler_items_checked lrutail_reflocked"));
  const auto settings = asMap(parseStats(sink.responses().at(3)));
  EXPECT_EQ(settings.at("lru_crawler"), "no");
  EXPECT_EQ(settings.at("lru_maintainer_thread"), "no");
  // `lru_crawler enable` brings the crawler's fields back, as memcached's.
  sink.clear();
  engine.process("lru_crawler enable\r\nstats\r\n", sink, session, worker_);
  const auto enabled = asMap(parseStats(sink.responses().at(1)));
  EXPECT_TRUE(enabled.count("lru_crawler_running"));
  EXPECT_TRUE(enabled.count("lru_crawler_starts"));
  EXPECT_FALSE(enabled.count("lru_maintainer_juggles"));
}

TEST_F(StatsTest, ResetStartsCountingAgain) {
  tcp("set a 0 0 1\r\nx\r\nget a\r\nget b\r\n");
  registry_.connections().total_connections = 5;
  EXPECT_EQ(tcp("stats reset\r\n"), "RESET\r\n");
  EXPECT_EQ(stat(&WorkerStats::cmd_get), 0u);
  EXPECT_EQ(registry_.sumSlabClass(1, &SlabClassCounters::cmd_set), 0u);
  EXPECT_EQ(registry_.connectionCount(&ConnectionStats::total_connections), 0u);
  tcp("get a\r\n");
  const auto m = asMap(parseStats(tcp("stats\r\n")));
  EXPECT_EQ(m.at("cmd_get"), "1");
  EXPECT_EQ(m.at("get_hits"), "1");
  EXPECT_EQ(m.at("get_misses"), "0");
}

// memcached's stats_reset() (t/issue_22.t): the store's counters start
// again too; item counts and memory stay.
TEST_F(StatsTest, ResetClearsTheStoreCounters) {
  store::StoreConfig small = storeConfig();
  small.memory_limit = 2u << 20;
  small.max_item_size = 1u << 20;
  store::Store store(small, clock_);
  Engine engine(store, EngineConfig{}, registry_);
  RecordingSink sink;
  Session session;
  const std::string value(100 * 1024, 'v');
  for (int i = 0; i < 40; ++i) {
    const std::string set = "set k" + std::to_string(i) + " 0 0 " + std::to_string(value.size()) +
                            "\r\n" + value + "\r\n";
    engine.process(set, sink, session, worker_);
  }
  engine.process("set e 0 1 1\r\nx\r\n", sink, session, worker_);
  clock_.advance(5);
  store.crawl(1000);
  auto stats = [&](std::string_view command) {
    sink.clear();
    engine.process(command, sink, session, worker_);
    return asMap(parseStats(sink.text()));
  };
  auto before = stats("stats\r\n");
  ASSERT_NE(before.at("evictions"), "0");
  ASSERT_NE(before.at("evicted_unfetched"), "0");
  ASSERT_NE(before.at("direct_reclaims"), "0");
  ASSERT_NE(before.at("crawler_items_checked"), "0");
  ASSERT_EQ(before.at("crawler_reclaimed"), "1");
  const std::string curr_items = before.at("curr_items");
  const std::string bytes = before.at("bytes");

  sink.clear();
  engine.process("stats reset\r\n", sink, session, worker_);
  EXPECT_EQ(sink.text(), "RESET\r\n");
  const auto after = stats("stats\r\n");
  for (const char* zero : {"total_items", "evictions", "evicted_unfetched", "crawler_reclaimed",
                           "crawler_items_checked", "direct_reclaims", "reclaimed",
                           "expired_unfetched", "slabs_moved", "lru_crawler_starts"}) {
    EXPECT_EQ(after.at(zero), "0") << zero;
  }
  EXPECT_EQ(after.at("curr_items"), curr_items);
  EXPECT_EQ(after.at("bytes"), bytes);
  for (const auto& [name, value] : stats("stats items\r\n")) {
    for (const char* zero : {":evicted", ":evicted_time", ":evicted_unfetched", ":evicted_nonzero",
                             ":crawler_reclaimed", ":crawler_items_checked", ":direct_reclaims",
                             ":outofmemory", ":hits_to_cold"}) {
      if (name.ends_with(zero)) {
        EXPECT_EQ(value, "0") << name;
      }
    }
  }
}

// memcached counts an expired or flushed item that an allocation finds at
// its class's LRU tail as `reclaimed`, and only what its crawler finds as
// crawler_reclaimed (t/issue_183.t, t/issue_163.t, t/lru-maintainer.t).
TEST_F(StatsTest, ReclaimedIsWhatASetFindsCrawlerReclaimedWhatTheCrawlerFinds) {
  tcp("set key 0 0 1\r\n1\r\n");
  clock_.advance(2);
  tcp("flush_all\r\n");
  tcp("set key 0 0 1\r\n1\r\n");
  auto m = asMap(parseStats(tcp("stats\r\n")));
  EXPECT_EQ(m.at("reclaimed"), "1");
  EXPECT_EQ(m.at("crawler_reclaimed"), "0");

  tcp("set short 0 1 1\r\nx\r\n");
  clock_.advance(3);
  store_.crawl(1000);
  m = asMap(parseStats(tcp("stats\r\n")));
  EXPECT_EQ(m.at("reclaimed"), "1");
  EXPECT_EQ(m.at("crawler_reclaimed"), "1");
  EXPECT_EQ(m.at("expired_unfetched"), "2");   // neither was ever fetched

  // A lazy expiry on get is get_expired, neither of the two.
  tcp("set gone 0 1 1\r\nx\r\n");
  clock_.advance(3);
  tcp("get gone\r\n");
  m = asMap(parseStats(tcp("stats\r\n")));
  EXPECT_EQ(m.at("get_expired"), "1");
  EXPECT_EQ(m.at("reclaimed"), "1");
  EXPECT_EQ(m.at("crawler_reclaimed"), "1");
}

// t/lru-maintainer.t: expired items at the LRU tail go as memcached's
// maintainer takes them, `reclaimed`; the crawler takes those behind a live
// one, `crawler_reclaimed`.
TEST_F(StatsTest, TailPassReclaimsWhatTheMaintainerWould) {
  tcp("set anchor 0 0 2\r\nok\r\n");
  for (int i = 0; i < 10; ++i) tcp("set behind" + std::to_string(i) + " 0 1 2\r\nok\r\n");
  clock_.advance(3);
  EXPECT_EQ(store_.reclaimTails(1000), 0u);   // the live anchor is at the tail
  EXPECT_EQ(store_.crawl(1000), 10u);
  auto m = asMap(parseStats(tcp("stats\r\n")));
  EXPECT_EQ(m.at("reclaimed"), "0");
  EXPECT_EQ(m.at("crawler_reclaimed"), "10");

  tcp("delete anchor\r\n");
  for (int i = 0; i < 10; ++i) tcp("set ifoo" + std::to_string(i) + " 0 1 2\r\nok\r\n");
  tcp("set live 0 0 2\r\nok\r\n");
  clock_.advance(3);
  EXPECT_EQ(store_.reclaimTails(1000), 10u);
  m = asMap(parseStats(tcp("stats\r\n")));
  EXPECT_EQ(m.at("reclaimed"), "10");
  EXPECT_EQ(m.at("crawler_reclaimed"), "10");
  EXPECT_EQ(m.at("curr_items"), "1");
  EXPECT_EQ(m.at("lru_maintainer_juggles"), "2");
}

TEST(StatsRegistryTest, SumsEveryWorker) {
  StatsRegistry registry;
  WorkerStats& one = registry.addWorker();
  WorkerStats& two = registry.addWorker();
  bump(one.bytes_read, 5);
  bump(two.bytes_read, 7);
  bump(one.slabClass(3).get_hits);
  bump(two.slabClass(3).get_hits, 2);
  EXPECT_EQ(registry.sum(&WorkerStats::bytes_read), 12u);
  EXPECT_EQ(registry.sumSlabClass(3, &SlabClassCounters::get_hits), 3u);
  registry.reset();
  bump(two.bytes_read);
  EXPECT_EQ(registry.sum(&WorkerStats::bytes_read), 1u);
  EXPECT_EQ(registry.sumSlabClass(3, &SlabClassCounters::get_hits), 0u);
}

}  // namespace
}  // namespace unbuckle::proto::testing
