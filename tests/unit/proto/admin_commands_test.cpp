// flush_all, version, verbosity, quit, unknown commands and the
// administrative commands this server answers as a disabled memcached.
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

// The replies of memcached 1.6.18 -X (dump commands off) to the same lines.
TEST_F(AdminTest, LruCrawlerAnswersAsMemcachedWithDumpsOff) {
  EXPECT_EQ(tcp("lru_crawler crawl all\r\nlru_crawler crawl 1\r\nlru_crawler crawl hash\r\n"
                "lru_crawler crawl 0\r\nlru_crawler crawl 63\r\nlru_crawler crawl 64\r\n"
                "lru_crawler crawl 1,x\r\nlru_crawler crawl 1,,2\r\nlru_crawler crawl ,\r\n"
                "lru_crawler metadump all\r\nlru_crawler crawl\r\nlru_crawler\r\nlru_crawler bogus\r\n"),
            "OK\r\nOK\r\nERROR an unknown error happened\r\nBADCLASS invalid class id\r\nOK\r\n"
            "BADCLASS invalid class id\r\nBADCLASS invalid class id\r\nOK\r\nNOTSTARTED no items to crawl\r\n"
            "ERROR metadump not allowed\r\nERROR\r\nERROR\r\nERROR\r\n");
  EXPECT_EQ(tcp("lru_crawler tocrawl -1\r\nlru_crawler tocrawl 5\r\nlru_crawler sleep 1000001\r\n"
                "lru_crawler sleep 1000000\r\nlru_crawler sleep x\r\nlru_crawler tocrawl 5 noreply\r\n"),
            "CLIENT_ERROR bad command line format\r\nOK\r\nCLIENT_ERROR sleep must be one second or less\r\n"
            "OK\r\nCLIENT_ERROR bad command line format\r\nERROR\r\n");
  EXPECT_NE(tcp("stats settings\r\n").find("STAT lru_crawler yes\r\nSTAT lru_crawler_sleep 1000000\r\n"
                                           "STAT lru_crawler_tocrawl 5\r\n"),
            std::string::npos);
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
  EXPECT_EQ(tcp("slabs\r\nslabs reassign 1 2\r\nslabs automove 1\r\nslabs automove 3\r\n"
                "slabs automove x\r\nslabs automove ratio 0.5\r\nslabs automove ratio\r\n"),
            "ERROR\r\nCLIENT_ERROR slab reassignment disabled\r\nOK\r\nERROR\r\n"
            "CLIENT_ERROR bad command line format\r\nOK\r\nERROR\r\n");
  EXPECT_EQ(tcp("watch\r\nwatch fetchers noreply\r\n"), "CLIENT_ERROR watch commands not allowed\r\n");
  EXPECT_EQ(tcp("lru\r\nlru mode flat\r\nlru tune 10 10 0.1 2\r\nlru tune 50 50 0.1 2\r\nlru tune 1 1 0 2\r\n"),
            "ERROR\r\nERROR\r\nOK\r\nERROR hot and warm pcts must not exceed 80\r\n"
            "ERROR hot/warm age factors must be greater than 0\r\n");
}

TEST_F(AdminTest, CacheMemlimit) {
  EXPECT_EQ(tcp("cache_memlimit\r\ncache_memlimit abc\r\ncache_memlimit 4\r\ncache_memlimit 64 noreply\r\n"
                "cache_memlimit 2000000000\r\ncache_memlimit 64\r\n"),
            "ERROR\r\nERROR\r\nMEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n"
            "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n"
            "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n");
}

}  // namespace
}  // namespace unbuckle::proto::testing
