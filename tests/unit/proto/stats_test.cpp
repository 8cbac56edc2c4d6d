// `stats` output: memcached's names, formats and order; subcommands;
// StatsRegistry sums and reset.
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

TEST_F(StatsTest, GeneralStatsInMemcachedOrderAndFormat) {
  tcp("set a 0 0 1\r\nx\r\nget a b\r\n");
  const std::string reply = tcp("stats\r\n");
  ASSERT_TRUE(reply.ends_with("END\r\n"));
  const auto stats = parseStats(reply);
  // memcached's own order, with our UDP counters after it.
  const std::vector<std::string> order = {
      "pid", "uptime", "time", "version", "pointer_size", "rusage_user", "rusage_system",
      "max_connections", "curr_connections", "total_connections", "rejected_connections", "cmd_get",
      "cmd_set", "cmd_flush", "cmd_touch", "cmd_meta", "get_hits", "get_misses", "get_expired",
      "get_flushed", "delete_misses", "delete_hits", "incr_misses", "incr_hits", "decr_misses",
      "decr_hits", "cas_misses", "cas_hits", "cas_badval", "touch_hits", "touch_misses",
      "store_too_large", "store_no_memory", "auth_cmds", "auth_errors", "bytes_read", "bytes_written",
      "limit_maxbytes", "accepting_conns", "listen_disabled_num", "threads", "conn_yields",
      "hash_power_level", "hash_bytes", "hash_is_expanding", "slabs_moved", "lru_crawler_starts", "bytes",
      "curr_items", "total_items", "expired_unfetched", "evicted_unfetched", "evictions", "reclaimed",
      "crawler_reclaimed", "crawler_items_checked", "moves_to_cold", "moves_to_warm",
      "moves_within_lru", "direct_reclaims", "total_malloced", "unbuckle_version", "udp_datagrams_in",
      "udp_datagrams_out", "udp_dropped_short", "udp_dropped_multipacket", "udp_dropped_incomplete",
      "udp_dropped_denied", "udp_reply_truncated"};
  std::vector<std::string> names;
  for (const auto& s : stats) names.push_back(s.first);
  EXPECT_EQ(names, order);

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
  registry_.connections().total_connections = 10;
  registry_.connections().accepting_conns = false;
  const auto m = asMap(parseStats(tcp("stats\r\n")));
  EXPECT_EQ(m.at("curr_connections"), "3");
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
  EXPECT_EQ(m.at("lru_maintainer_thread"), "no");
  // "stats settings extra" still answers (memcached looks at one word).
  EXPECT_EQ(tcp("stats settings extra\r\n"), tcp("stats settings\r\n"));
}

TEST_F(StatsTest, FlushAllShowsInOldest) {
  tcp("flush_all\r\n");
  EXPECT_EQ(asMap(parseStats(tcp("stats settings\r\n"))).at("oldest"), "1");
}

TEST_F(StatsTest, ItemsAndSlabsPerClass) {
  tcp("set a 0 0 1\r\nx\r\nset b 0 0 1\r\ny\r\nget a\r\nincr c 1\r\n");
  const uint8_t cls = store_.access("a", [](store::Access& a) { return a.item()->slabClass(); });
  const std::string prefix = std::to_string(cls) + ":";

  const auto items = asMap(parseStats(tcp("stats items\r\n")));
  EXPECT_EQ(items.at("items:" + prefix + "number"), "2");
  for (const char* field : {"age", "mem_requested", "evicted", "evicted_nonzero", "evicted_time",
                            "outofmemory", "tailrepairs", "reclaimed", "expired_unfetched",
                            "evicted_unfetched", "crawler_reclaimed", "lrutail_reflocked"}) {
    EXPECT_TRUE(items.count("items:" + prefix + field)) << field;
  }

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
  EXPECT_EQ(tcp("stats cachedump 1 1\r\n"), "END\r\n");
  EXPECT_EQ(tcp("stats foo\r\nstats foo bar\r\nstats detail on\r\nstats conns\r\n"),
            "ERROR\r\nERROR\r\nERROR\r\nERROR\r\n");
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
