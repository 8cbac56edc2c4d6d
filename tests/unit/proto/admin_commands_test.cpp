// flush_all, version, verbosity, quit, unknown commands and the
// administrative commands this server answers as a disabled memcached.
#include <algorithm>

#include "engine_fixture.h"

namespace unbuckle::proto::testing {
namespace {

using AdminTest = EngineTest;
using Responses = std::vector<std::string>;

TEST_F(AdminTest, FlushAllArguments) {
  EXPECT_EQ(tcp("flush_all abc\r\nflush_all 0 0\r\nflush_all 1 2 3\r\nflush_all noreply\r\n"
                "flush_all 0 noreply\r\nflush_all -1\r\nflush_all 0 foo\r\nflush_all foo noreply\r\n"),
            "CLIENT_ERROR invalid exptime argument\r\nOK\r\nERROR\r\nOK\r\nOK\r\n");
  EXPECT_EQ(stat(&WorkerStats::cmd_flush), 7u);
}

TEST_F(AdminTest, FlushAllDropsEverythingBeforeIt) {
  EXPECT_EQ(tcp("set a 0 0 1\r\nx\r\nflush_all\r\nget a\r\nset a 0 0 1\r\ny\r\nget a\r\n"),
            "STORED\r\nOK\r\nEND\r\nSTORED\r\nVALUE a 0 1\r\ny\r\nEND\r\n");
  EXPECT_EQ(stat(&WorkerStats::get_flushed), 1u);
}

TEST_F(AdminTest, DelayedFlushAll) {
  // memcached keeps (now + delay) - 1: items die one second before the delay ends.
  tcp("set a 0 0 1\r\nx\r\nflush_all 10\r\n");
  clock_.advance(8);
  EXPECT_EQ(tcp("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  clock_.advance(1);
  EXPECT_EQ(tcp("get a\r\n"), "END\r\n");
}

TEST_F(AdminTest, Version) {
  EXPECT_EQ(tcp("version\r\nversion extra\r\n"), "VERSION 1.6.18\r\nVERSION 1.6.18\r\n");
}

TEST_F(AdminTest, Verbosity) {
  EXPECT_EQ(tcp("verbosity\r\nverbosity 1\r\nverbosity abc\r\nverbosity 1 noreply\r\nverbosity 1 2\r\n"
                "verbosity 1 2 3\r\nverbosity 0\r\n"),
            "ERROR\r\nOK\r\nCLIENT_ERROR bad command line format\r\nOK\r\nERROR\r\nOK\r\n");
  tcp("verbosity 7\r\n");
  EXPECT_EQ(registry_.settings().verbosity.load(), 2u);
}

TEST_F(AdminTest, UnknownCommands) {
  EXPECT_EQ(tcp("GET a\r\ngett a\r\nmx\r\nm\r\ng\r\nx\r\nge a\r\n\r\n\n   \r\n"),
            "ERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\n");
  EXPECT_EQ(tcp("extstore item_size 100\r\n"), "ERROR\r\n");
}

// The replies of memcached 1.6.18 to the same lines (empty store).
TEST_F(AdminTest, LruCrawlerAnswersAsMemcached) {
  EXPECT_EQ(tcp("lru_crawler crawl all\r\nlru_crawler crawl 1\r\nlru_crawler crawl hash\r\n"
                "lru_crawler crawl 0\r\nlru_crawler crawl 63\r\nlru_crawler crawl 64\r\n"
                "lru_crawler crawl 1,x\r\nlru_crawler crawl 1,,2\r\nlru_crawler crawl ,\r\n"
                "lru_crawler crawl\r\nlru_crawler\r\nlru_crawler bogus\r\n"),
            "OK\r\nOK\r\nERROR an unknown error happened\r\nBADCLASS invalid class id\r\nOK\r\n"
            "BADCLASS invalid class id\r\nBADCLASS invalid class id\r\nOK\r\nNOTSTARTED no items to crawl\r\n"
            "ERROR\r\nERROR\r\nERROR\r\n");
  EXPECT_EQ(tcp("lru_crawler metadump all\r\n"), "END\r\n");
  EXPECT_EQ(tcp("lru_crawler tocrawl -1\r\nlru_crawler tocrawl 5\r\nlru_crawler sleep 1000001\r\n"
                "lru_crawler sleep 1000000\r\nlru_crawler sleep x\r\nlru_crawler tocrawl 5 noreply\r\n"),
            "CLIENT_ERROR bad command line format\r\nOK\r\nCLIENT_ERROR sleep must be one second or less\r\n"
            "OK\r\nCLIENT_ERROR bad command line format\r\nERROR\r\n");
  EXPECT_NE(tcp("stats settings\r\n").find("STAT lru_crawler yes\r\nSTAT lru_crawler_sleep 1000000\r\n"
                                           "STAT lru_crawler_tocrawl 5\r\n"),
            std::string::npos);
}

// memcached's crawler runs from the request until it has walked the
// classes; the maintenance thread does that walk and takes the request back.
TEST_F(AdminTest, LruCrawlerCrawlRunsUntilTheWalkIsDone) {
  EXPECT_NE(tcp("stats\r\n").find("STAT lru_crawler_running 0\r\n"), std::string::npos);
  EXPECT_EQ(tcp("lru_crawler crawl 1\r\nlru_crawler crawl x\r\n"),
            "OK\r\nBADCLASS invalid class id\r\n");
  EXPECT_EQ(registry_.settings().crawls_pending.load(), 1u);
  EXPECT_NE(tcp("stats\r\n").find("STAT lru_crawler_running 1\r\n"), std::string::npos);
  registry_.settings().crawls_pending.store(0);
  EXPECT_NE(tcp("stats\r\n").find("STAT lru_crawler_running 0\r\n"), std::string::npos);
}

TEST_F(AdminTest, LruCrawlerDisableStopsTheCrawlerUntilEnabled) {
  EXPECT_EQ(tcp("lru_crawler enable\r\nlru_crawler enable x\r\nlru_crawler disable\r\nlru_crawler disable\r\n"
                "lru_crawler crawl all\r\nlru_crawler metadump all\r\nlru_crawler crawl x\r\n"),
            "ERROR failed to start lru crawler thread\r\nERROR\r\nOK\r\nOK\r\n"
            "CLIENT_ERROR lru crawler disabled\r\nCLIENT_ERROR lru crawler disabled\r\n"
            "CLIENT_ERROR lru crawler disabled\r\n");
  EXPECT_FALSE(registry_.settings().lru_crawler.load());
  EXPECT_NE(tcp("stats settings\r\n").find("STAT lru_crawler no\r\n"), std::string::npos);
  EXPECT_EQ(tcp("lru_crawler enable\r\nlru_crawler crawl 1\r\n"), "OK\r\nOK\r\n");
  EXPECT_TRUE(registry_.settings().lru_crawler.load());
}

TEST_F(AdminTest, HttpRequestLineClosesWithoutReply) {
  tcp("set a 0 0 1\r\nx\r\n");
  feed("get a\r\nGET / HTTP/1.1\r\nget a\r\n");
  EXPECT_EQ(sink_.text(), "VALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_TRUE(session_.close);
}

TEST_F(AdminTest, HttpOnACommandNameIsJustAnError) {
  EXPECT_EQ(tcp("stats HTTP/1.1\r\nsx HTTP/1.1\r\n"), "ERROR\r\nERROR\r\n");
  EXPECT_FALSE(session_.close);
}

TEST_F(AdminTest, QuitClosesAfterAnEmptyResponse) {
  feed("version\r\nquit\r\nversion\r\n");
  EXPECT_EQ(sink_.text(), "VERSION 1.6.18\r\n");
  EXPECT_TRUE(session_.close);
  // Over UDP: a header-only datagram, unless something already went out
  // since memcached's last flush.
  EXPECT_EQ(udp("quit\r\n"), (Responses{""}));
  EXPECT_EQ(udp("get x y\r\nquit\r\nget a\r\n"), (Responses{"", "END\r\n", ""}));
  EXPECT_EQ(udp("set a 0 0 1\r\nx\r\nquit\r\n"), (Responses{"STORED\r\n"}));
}

TEST_F(AdminTest, DisabledFeatures) {
  EXPECT_EQ(tcp("shutdown\r\nshutdown graceful\r\n"),
            "ERROR: shutdown not enabled\r\nERROR: shutdown not enabled\r\n");
  EXPECT_EQ(tcp("watch\r\nwatch fetchers noreply\r\n"), "CLIENT_ERROR watch commands not allowed\r\n");
  EXPECT_EQ(tcp("lru\r\nlru tune 10 10 0.1 2\r\nlru tune 50 50 0.1 2\r\nlru tune 1 1 0 2\r\n"),
            "ERROR\r\nOK\r\nERROR hot and warm pcts must not exceed 80\r\n"
            "ERROR hot/warm age factors must be greater than 0\r\n");
  // Captured from memcached 1.6.18.
  EXPECT_EQ(tcp("lru mode flat\r\nlru mode x\r\nlru temp_ttl 10\r\nlru temp_ttl -1\r\nlru temp_ttl x\r\n"
                "lru mode\r\nlru temp_ttl\r\n"),
            "OK\r\nERROR\r\nOK\r\nOK\r\nERROR\r\nERROR\r\nERROR\r\n");
  EXPECT_FALSE(store_.temporaryLru().on);
  EXPECT_EQ(store_.temporaryLru().ttl, 10u);
}

// memcached 1.6.18 (captured): an immediate flush_all uses up one cas
// unique, a delayed one does not; `flush_all 1` takes the sets of its own
// second; an absolute time before the start flushes nothing, uses one up.
TEST_F(AdminTest, FlushAllUsesUpACasAsMemcached) {
  EXPECT_EQ(tcp("set a 0 0 1\r\nx\r\ngets a\r\nflush_all\r\nset a 0 0 1\r\nx\r\ngets a\r\n"
                "flush_all 2\r\nset a 0 0 1\r\nx\r\ngets a\r\nflush_all 1\r\nset a 0 0 1\r\nx\r\n"
                "gets a\r\nflush_all -1\r\nset a 0 0 1\r\nx\r\ngets a\r\n"),
            "STORED\r\nVALUE a 0 1 1\r\nx\r\nEND\r\nOK\r\nSTORED\r\nVALUE a 0 1 3\r\nx\r\nEND\r\n"
            "OK\r\nSTORED\r\nVALUE a 0 1 4\r\nx\r\nEND\r\nOK\r\nSTORED\r\nEND\r\n"
            "OK\r\nSTORED\r\nVALUE a 0 1 8\r\nx\r\nEND\r\n");
  EXPECT_EQ(tcp("set b 0 0 1\r\nx\r\nflush_all 1000000000\r\nget b\r\nset c 0 0 1\r\nx\r\ngets c\r\n"),
            "STORED\r\nOK\r\nVALUE b 0 1\r\nx\r\nEND\r\nSTORED\r\nVALUE c 0 1 11\r\nx\r\nEND\r\n");
}

// An engine with the daemon's memcached switches set, over its own store.
class SwitchedEngine {
 public:
  SwitchedEngine(EngineConfig config, bool use_cas) : store_(storeConfig(use_cas), clock_),
      worker_(registry_.addWorker()), engine_(store_, config, registry_) {}

  std::string tcp(std::string_view input) {
    sink_.clear();
    Session session;
    const size_t used = engine_.process(input, sink_, session, worker_);
    closed_ = session.close;
    if (!closed_) {
      EXPECT_EQ(used, input.size());
    }
    return sink_.text();
  }
  bool closed() const { return closed_; }

 private:
  static store::StoreConfig storeConfig(bool use_cas) {
    store::StoreConfig c;
    c.use_cas = use_cas;
    return c;
  }
  store::ManualClock clock_;
  store::Store store_;
  StatsRegistry registry_;
  WorkerStats& worker_;
  Engine engine_;
  RecordingSink sink_;
  bool closed_ = false;
};

// Formats captured from memcached 1.6.18 (items already in its COLD LRU):
// "ITEM b [2 b; 1796401665 s]\r\nITEM a [1 b; 0 s]\r\nEND\r\n".
TEST_F(AdminTest, StatsCachedump) {
  tcp("set a 0 0 1\r\nx\r\nset b 0 100 2\r\nxy\r\nms Zm9v 2 b\r\nhi\r\n");
  const std::string expires = std::to_string(clock_.processStarted() + clock_.now() + 100);
  EXPECT_EQ(tcp("stats cachedump 1 0\r\nstats cachedump 1 1\r\nstats cachedump 2 0\r\n"
                "stats cachedump 64 0\r\nstats cachedump 0 0\r\nstats cachedump 1\r\nstats cachedump x 1\r\n"),
            "ITEM b [2 b; " + expires + " s]\r\nITEM a [1 b; 0 s]\r\nEND\r\n"
            "ITEM b [2 b; " + expires + " s]\r\nEND\r\nEND\r\nCLIENT_ERROR Illegal slab id\r\n"
            "END\r\nCLIENT_ERROR bad command line\r\nCLIENT_ERROR bad command line format\r\n");
  // memcached answers it over UDP too.
  EXPECT_EQ(udp("stats cachedump 1 1\r\n"), (Responses{"ITEM b [2 b; " + expires + " s]\r\nEND\r\n"}));
}

TEST_F(AdminTest, StatsCachedumpStopsAt2MB) {
  const std::string value(20, 'v');
  std::string sets;
  for (int i = 0; i < 80000; ++i) {
    sets += "set key" + std::to_string(100000 + i) + " 0 0 20\r\n" + value + "\r\n";
  }
  tcp(sets);
  // "ITEM key1xxxxx [20 b; 0 s]\r\n" is 28 bytes: memcached stops before a
  // line that leaves no room for "END\r\n\0" in 2 MB, after 74,898 lines.
  const std::string all = tcp("stats cachedump 1 0\r\n");
  EXPECT_TRUE(all.ends_with("END\r\n"));
  EXPECT_EQ(all.size(), 74898u * 28 + 5);
  EXPECT_EQ(all.substr(0, 28), "ITEM key179999 [20 b; 0 s]\r\n");
}

// crawler.c's format: "key=<uri-encoded> exp=<unix time|-1> la=<unix time>
// cas=<n> fetch=<yes|no> cls=<id> size=<n>\n" per live item, then END.
TEST_F(AdminTest, LruCrawlerMetadump) {
  tcp("set a/b 0 0 1\r\nx\r\nset exp 0 1 2\r\nxy\r\nget a/b\r\n");
  const int64_t started = clock_.processStarted();
  const std::string la = std::to_string(started + clock_.now());
  const std::string exp = std::to_string(started + clock_.now() + 1);
  const std::string dump = tcp("lru_crawler metadump 1\r\n");
  EXPECT_TRUE(dump.ends_with("END\r\n"));
  EXPECT_NE(dump.find("key=a%2Fb exp=-1 la=" + la + " cas=1 fetch=yes cls=1 size="), std::string::npos) << dump;
  EXPECT_NE(dump.find("key=exp exp=" + exp + " la=" + la + " cas=2 fetch=no cls=1 size="), std::string::npos) << dump;
  EXPECT_EQ(tcp("lru_crawler metadump 2\r\n"), "END\r\n");
  EXPECT_EQ(tcp("lru_crawler metadump hash\r\n"), dump);
  EXPECT_EQ(tcp("lru_crawler metadump 0\r\nlru_crawler metadump ,\r\n"),
            "BADCLASS invalid class id\r\nNOTSTARTED no items to crawl\r\n");
  // Expired (exptime before now) and flushed items are left out.
  clock_.advance(2);
  const std::string later = tcp("lru_crawler metadump all\r\n");
  EXPECT_EQ(std::count(later.begin(), later.end(), '\n'), 2) << later;
  tcp("flush_all\r\n");
  EXPECT_EQ(tcp("lru_crawler metadump all\r\n"), "END\r\n");
  // As memcached, after a response it has not sent yet (a get's are sent at once).
  tcp("set p 0 0 1\r\nx\r\n");
  EXPECT_EQ(tcp("set q 0 0 1\r\nx\r\nlru_crawler metadump all\r\n"),
            "STORED\r\nERROR cannot pipeline other commands before metadump\r\n");
  EXPECT_TRUE(tcp("get p\r\nlru_crawler metadump all\r\n").starts_with("VALUE p 0 1\r\nx\r\nEND\r\nkey="));
  // Over UDP memcached's crawler writes to a socket without a peer: nothing.
  EXPECT_EQ(udp("lru_crawler metadump all\r\n"), (Responses{}));
}

TEST_F(AdminTest, LargeMetadumpIsOneResponse) {
  std::string sets;
  for (int i = 0; i < 5000; ++i) sets += "set key" + std::to_string(i) + " 0 0 1\r\nx\r\n";
  tcp(sets);
  feed("lru_crawler metadump all\r\n");
  ASSERT_EQ(sink_.responses().size(), 1u);
  const std::string& dump = sink_.responses()[0];
  EXPECT_GT(dump.size(), 64u * 1024);
  EXPECT_EQ(std::count(dump.begin(), dump.end(), '\n'), 5001);
  EXPECT_TRUE(dump.ends_with("\nEND\r\n"));
}

// memcached -X, replies captured from memcached 1.6.18 -X.
TEST(AdminSwitches, DisabledDumping) {
  EngineConfig config;
  config.dump_enabled = false;
  SwitchedEngine e(config, true);
  EXPECT_EQ(e.tcp("set a 0 0 1\r\nx\r\nstats cachedump 1 0\r\nlru_crawler metadump all\r\n"
                  "lru_crawler metadump hash\r\nlru_crawler crawl all\r\n"),
            "STORED\r\nCLIENT_ERROR stats cachedump not allowed\r\nERROR metadump not allowed\r\n"
            "ERROR metadump not allowed\r\nOK\r\n");
}

// memcached -o temporary_ttl: the store's temporary LRU, as `lru temp_ttl` sets it.
TEST(AdminSwitches, TemporaryTtl) {
  EngineConfig config;
  config.temporary_ttl = 30;
  store::ManualClock clock;
  store::Store store(store::StoreConfig{}, clock);
  StatsRegistry registry;
  EXPECT_FALSE(store.temporaryLru().on);
  Engine engine(store, config, registry);
  EXPECT_TRUE(store.temporaryLru().on);
  EXPECT_EQ(store.temporaryLru().ttl, 30u);
}

// memcached -o no_lru_crawler,no_lru_maintainer, replies captured from it.
TEST(AdminSwitches, NoLruCrawlerNoLruMaintainer) {
  EngineConfig config;
  config.lru_crawler = false;
  config.lru_maintainer = false;
  SwitchedEngine e(config, true);
  EXPECT_EQ(e.tcp("set a 0 0 1\r\nx\r\nlru mode flat\r\nlru temp_ttl 5\r\nlru tune 10 10 0.1 2\r\n"
                  "lru_crawler crawl all\r\nlru_crawler metadump all\r\nlru_crawler disable\r\n"
                  "lru_crawler enable\r\nlru_crawler enable\r\nlru_crawler disable\r\n"),
            "STORED\r\nERROR\r\nERROR\r\nOK\r\nCLIENT_ERROR lru crawler disabled\r\n"
            "CLIENT_ERROR lru crawler disabled\r\nOK\r\nOK\r\n"
            "ERROR failed to start lru crawler thread\r\nOK\r\n");
}

// memcached -F.
TEST(AdminSwitches, DisabledFlushAll) {
  EngineConfig config;
  config.flush_enabled = false;
  SwitchedEngine e(config, true);
  EXPECT_EQ(e.tcp("set foo 0 0 1\r\nx\r\nflush_all\r\nflush_all 0 noreply\r\nflush_all x\r\nget foo\r\n"),
            "STORED\r\nCLIENT_ERROR flush_all not allowed\r\nCLIENT_ERROR flush_all not allowed\r\n"
            "VALUE foo 0 1\r\nx\r\nEND\r\n");
}

// memcached -A: shutdown closes without a reply and stops the daemon.
TEST(AdminSwitches, EnabledShutdown) {
  std::vector<bool> calls;
  EngineConfig config;
  config.shutdown = [&](bool graceful) { calls.push_back(graceful); };
  SwitchedEngine e(config, true);
  EXPECT_EQ(e.tcp("shutdown foo\r\nshutdown graceful x\r\nshutdown noreply\r\n"),
            "CLIENT_ERROR invalid shutdown mode\r\nCLIENT_ERROR invalid shutdown mode\r\n"
            "CLIENT_ERROR invalid shutdown mode\r\n");
  EXPECT_TRUE(calls.empty());
  EXPECT_EQ(e.tcp("shutdown\r\nversion\r\n"), "");
  EXPECT_TRUE(e.closed());
  EXPECT_EQ(e.tcp("shutdown graceful\r\n"), "");
  EXPECT_EQ(calls, (std::vector<bool>{false, true}));
}

// memcached -C, replies captured from memcached 1.6.18 -C.
TEST(AdminSwitches, DisabledCas) {
  SwitchedEngine e(EngineConfig{}, false);
  EXPECT_EQ(e.tcp("set a 0 0 1\r\nx\r\ngets a\r\ngats 100 a\r\ncas a 0 0 1 0\r\ny\r\ncas a 0 0 1 1\r\nz\r\n"
                  "cas b 0 0 1 0\r\nz\r\nget a\r\nmg a c v\r\nms a 1 C0\r\nq\r\nms a 1 C5\r\nw\r\n"
                  "mg a c v t\r\nma n N0 c\r\nma n c\r\nmg a\r\nmd a C0\r\nmd a C3\r\nmn\r\n"),
            "STORED\r\nVALUE a 0 1 0\r\nx\r\nEND\r\nVALUE a 0 1 0\r\nx\r\nEND\r\nEXISTS\r\nEXISTS\r\n"
            "NOT_FOUND\r\nVALUE a 0 1\r\nx\r\nEND\r\nVA 1 c0\r\nx\r\nEX\r\nEX\r\nVA 1 c0 t100\r\nx\r\n"
            "HD c0\r\nHD c0\r\nHD\r\nHD\r\nNF\r\nMN\r\n");
  EXPECT_EQ(e.tcp("set a 0 0 1\r\nx\r\nmd a C3\r\nma a C3\r\nset n 0 0 1\r\n1\r\nma n C3\r\nma n C0 v\r\n"
                  "incr n 1\r\nms a 1 MA C4\r\ny\r\nms a 1 MA\r\nz\r\nmg a v c\r\nms b 1 C0\r\nq\r\n"
                  "ms b 1 C7 MA N0\r\nq\r\n"),
            "STORED\r\nEX\r\nEX\r\nSTORED\r\nEX\r\nVA 1\r\n2\r\n3\r\nHD\r\nHD\r\nVA 3 c0\r\nxyz\r\nNF\r\nNS\r\n");
  // Without cas a flush also takes the sets of its own second.
  EXPECT_EQ(e.tcp("set a 0 0 1\r\nx\r\nflush_all\r\nset a 0 0 1\r\nx\r\nget a\r\n"),
            "STORED\r\nOK\r\nSTORED\r\nEND\r\n");
}

// Replies as memcached 1.6.18 gives them (checked against it over TCP).
TEST_F(AdminTest, SlabsCommands) {
  EXPECT_EQ(tcp("slabs\r\nslabs reassign 1 2\r\nslabs reassign 1 1\r\nslabs reassign 99 1\r\n"
                "slabs reassign -1 0\r\nslabs reassign a b\r\nslabs reassign 1\r\n"
                "slabs reassign 1 2 noreply\r\nslabs reassign 0 1\r\nslabs reassign -2 1\r\n"
                "slabs reassign 1 0\r\n"),
            "ERROR\r\nNOSPARE source class has no spare pages\r\nSAME src and dst class are identical\r\n"
            "BADCLASS invalid src or dst class id\r\nBADCLASS invalid src or dst class id\r\n"
            "CLIENT_ERROR bad command line format\r\nERROR\r\nERROR\r\n"
            "NOSPARE source class has no spare pages\r\nBADCLASS invalid src or dst class id\r\n"
            "NOSPARE source class has no spare pages\r\n");
  EXPECT_EQ(tcp("slabs automove 2\r\nslabs automove 3\r\nslabs automove x\r\nslabs automove ratio 0.5\r\n"
                "slabs automove ratio\r\n"),
            "OK\r\nERROR\r\nCLIENT_ERROR bad command line format\r\nOK\r\nERROR\r\n");
  EXPECT_EQ(store_.stats().slab_automove, 2u);
  EXPECT_EQ(tcp("slabs automove 0 noreply\r\n"), "");
  EXPECT_EQ(store_.stats().slab_automove, 0u);
}

TEST_F(AdminTest, SlabsReassignMovesAPage) {
  const std::string value(100000, 'v');
  for (int i = 0; i < 200; ++i) {
    tcp("set k" + std::to_string(i) + " 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n");
  }
  ASSERT_EQ(store_.stats().classes.size(), 1u);
  const std::string big = std::to_string(store_.stats().classes[0].id);
  EXPECT_EQ(tcp("slabs reassign " + big + " 1\r\nslabs reassign " + big + " 0\r\n"), "OK\r\nOK\r\n");
  const store::StoreStats s = store_.stats();
  EXPECT_EQ(s.slabs_moved, 2u);
  EXPECT_EQ(s.slab_global_page_pool, 1u);
  EXPECT_EQ(s.classes.at(0).id, 1u);
}

TEST_F(AdminTest, CacheMemlimit) {
  EXPECT_EQ(tcp("cache_memlimit\r\ncache_memlimit abc\r\ncache_memlimit 4\r\ncache_memlimit 64 noreply\r\n"
                "cache_memlimit 2000000000\r\ncache_memlimit 128\r\n"),
            "ERROR\r\nERROR\r\nMEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n"
            "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\nOK\r\n");
  EXPECT_EQ(store_.stats().limit_maxbytes, uint64_t{128} << 20);
  EXPECT_EQ(tcp("cache_memlimit 8\r\n"), "OK\r\n");
  EXPECT_EQ(store_.stats().limit_maxbytes, uint64_t{8} << 20);
  // Above what the store's references reach (32 GiB): memcached's failure line.
  EXPECT_EQ(tcp("cache_memlimit 40000\r\n"), "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n");
}

}  // namespace
}  // namespace unbuckle::proto::testing
