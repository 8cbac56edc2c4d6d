// get, gets, gat, gats and their response boundaries (each key is its own
// response object in memcached 1.6, so over UDP its own message).
#include "engine_fixture.h"

namespace unbuckle::proto::testing {
namespace {

using namespace std::literals;
using RetrievalTest = EngineTest;
using Responses = std::vector<std::string>;

TEST_F(RetrievalTest, MultiGetIsOneResponsePerKey) {
  tcp("set a 5 0 3\r\naaa\r\nset b 0 0 2\r\nbb\r\n");
  EXPECT_EQ(udp("get a b c\r\n"),
            (Responses{"VALUE a 5 3\r\naaa\r\n", "VALUE b 0 2\r\nbb\r\n", "END\r\n"}));
  EXPECT_EQ(udp("get a b\r\n"), (Responses{"VALUE a 5 3\r\naaa\r\n", "VALUE b 0 2\r\nbb\r\nEND\r\n"}));
  // A miss before the last key leaves an empty response (a header-only datagram).
  EXPECT_EQ(udp("get x a\r\n"), (Responses{"", "VALUE a 5 3\r\naaa\r\nEND\r\n"}));
  EXPECT_EQ(udp("get x y\r\n"), (Responses{"", "END\r\n"}));
  // An empty response goes out only if nothing went out since memcached's
  // last flush (after a get, or mn): the one behind VALUE a vanishes.
  EXPECT_EQ(udp("get a x b\r\n"), (Responses{"VALUE a 5 3\r\naaa\r\n", "VALUE b 0 2\r\nbb\r\nEND\r\n"}));
  EXPECT_EQ(udp("get x y a z b\r\n"),
            (Responses{"", "VALUE a 5 3\r\naaa\r\n", "VALUE b 0 2\r\nbb\r\nEND\r\n"}));
}

TEST_F(RetrievalTest, EmptyResponsesAfterAFlushPoint) {
  tcp("set a 0 0 1\r\nA\r\n");
  // Each get flushes, so the next one's first miss shows again.
  EXPECT_EQ(udp("get x\r\nget y a\r\n"), (Responses{"END\r\n", "", "VALUE a 0 1\r\nA\r\nEND\r\n"}));
  EXPECT_EQ(udp("get x y\r\nmg x v\r\nget x y\r\n"),
            (Responses{"", "END\r\n", "EN\r\n", "END\r\n"}));
  EXPECT_EQ(udp("mn\r\nget y z\r\n"), (Responses{"MN\r\n", "", "END\r\n"}));
  EXPECT_EQ(udp("set c 0 0 1\r\nC\r\nget x a\r\n"), (Responses{"STORED\r\n", "VALUE a 0 1\r\nA\r\nEND\r\n"}));
  // Hidden replies do not count as sent.
  EXPECT_EQ(udp("md a q\r\nget x y\r\n"), (Responses{"", "END\r\n"}));
}

TEST_F(RetrievalTest, GetsAddsTheCas) {
  tcp("set a 5 0 3\r\naaa\r\nset b 0 0 2\r\nbb\r\n");
  EXPECT_EQ(udp("gets a\r\n"), (Responses{"VALUE a 5 3 1\r\naaa\r\nEND\r\n"}));
  EXPECT_EQ(udp("gets a b\r\n"),
            (Responses{"VALUE a 5 3 1\r\naaa\r\n", "VALUE b 0 2 2\r\nbb\r\nEND\r\n"}));
}

TEST_F(RetrievalTest, GetWithoutKeyIsAnError) {
  EXPECT_EQ(tcp("get\r\n"), "ERROR\r\n");
  EXPECT_EQ(tcp("gets" + std::string(3000, ' ') + "\r\n"), "ERROR\r\n");
  EXPECT_EQ(tcp("bget\r\n"), "ERROR\r\n");
}

TEST_F(RetrievalTest, BgetIsAnOldNameForGet) {
  tcp("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(tcp("bget a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
}

TEST_F(RetrievalTest, OverlongKeyReplacesTheWholeReply) {
  const std::string longkey(251, 'x');
  tcp("set x 0 0 1\r\nx\r\n");
  EXPECT_EQ(udp("get " + longkey + "\r\n"), (Responses{"CLIENT_ERROR bad command line format\r\n"}));
  EXPECT_EQ(udp("get x " + longkey + " x\r\n"), (Responses{"CLIENT_ERROR bad command line format\r\n"}));
  // The keys before it were still looked up and counted.
  EXPECT_EQ(stat(&WorkerStats::get_hits), 1u);
  EXPECT_EQ(stat(&WorkerStats::cmd_get), 1u);
  EXPECT_EQ(tcp("gat 1 " + longkey + "\r\n"), "CLIENT_ERROR bad command line format\r\n");
}

TEST_F(RetrievalTest, LinesWithMoreThan23TokensAreSplitAgain) {
  tcp("set x 0 0 1\r\nx\r\n");
  std::string line = "get";
  for (int i = 0; i < 30; ++i) line += " k" + std::to_string(i);
  EXPECT_EQ(tcp(line + " x\r\n"), "VALUE x 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(udp(line + " x\r\n"), (Responses{"", "VALUE x 0 1\r\nx\r\nEND\r\n"}));
  EXPECT_EQ(stat(&WorkerStats::cmd_get), 62u);
}

TEST_F(RetrievalTest, TrailingSpacesAfterASplitStartAnEmptyBatch) {
  // 22 keys fill the first pass; the spaces left over are split again into
  // nothing, so END goes out in a response of its own.
  tcp("set k21 0 0 1\r\nx\r\n");
  std::string line = "get";
  for (int i = 0; i < 22; ++i) line += " k" + std::to_string(i);
  EXPECT_EQ(udp(line + "    \r\n"), (Responses{"", "VALUE k21 0 1\r\nx\r\n", "END\r\n"}));
  EXPECT_EQ(udp(line + "\r\n"), (Responses{"", "VALUE k21 0 1\r\nx\r\nEND\r\n"}));
}

TEST_F(RetrievalTest, GatTouchesAndCountsAsTouch) {
  tcp("set g1 0 0 1\r\nx\r\n");
  EXPECT_EQ(tcp("gat 100 g1 gmiss\r\n"), "VALUE g1 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(tcp("gats 100 g1\r\n"), "VALUE g1 0 1 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(tcp("gat abc g1\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
  EXPECT_EQ(tcp("gat 100\r\n"), "END\r\n");
  EXPECT_EQ(tcp("gat\r\n"), "ERROR\r\n");
  EXPECT_EQ(stat(&WorkerStats::cmd_touch), 3u);
  EXPECT_EQ(stat(&WorkerStats::touch_hits), 2u);
  EXPECT_EQ(stat(&WorkerStats::touch_misses), 1u);
  EXPECT_EQ(stat(&WorkerStats::cmd_get), 0u);
  clock_.advance(99);
  EXPECT_EQ(tcp("get g1\r\n"), "VALUE g1 0 1\r\nx\r\nEND\r\n");
  clock_.advance(1);
  EXPECT_EQ(tcp("get g1\r\n"), "END\r\n");
}

TEST_F(RetrievalTest, GatWithPastExptimeStillReturnsTheValueOnce) {
  tcp("set g1 0 0 1\r\nx\r\n");
  EXPECT_EQ(tcp("gat -1 g1\r\nget g1\r\n"), "VALUE g1 0 1\r\nx\r\nEND\r\nEND\r\n");
}

TEST_F(RetrievalTest, HitAndMissCounters) {
  tcp("set a 0 0 1\r\nx\r\n");
  tcp("get a b c\r\nget a\r\n");
  EXPECT_EQ(stat(&WorkerStats::cmd_get), 4u);
  EXPECT_EQ(stat(&WorkerStats::get_hits), 2u);
  EXPECT_EQ(stat(&WorkerStats::get_misses), 2u);
}

TEST_F(RetrievalTest, KeysAreBytesUpToTheSpace) {
  EXPECT_EQ(tcp("set tab\t1 0 0 1\r\nx\r\nget tab\t1\r\n"), "STORED\r\nVALUE tab\t1 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(tcp("set \x01k 0 0 1\r\nx\r\nget \x01k\r\n"), "STORED\r\nVALUE \x01k 0 1\r\nx\r\nEND\r\n");
  // "\r\r\n": only one \r is dropped, the key is "a\r".
  EXPECT_EQ(tcp("get a\r\r\n"), "END\r\n");
  // memcached reads the line as a C string: a NUL ends it.
  EXPECT_EQ(tcp("set nul 0 0 1\r\nx\r\nget nul\0garbage\r\n"sv),
            "STORED\r\nVALUE nul 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(tcp("   get    nul  \r\n"), "VALUE nul 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(tcp("get nul\nget nul\n"), "VALUE nul 0 1\r\nx\r\nEND\r\nVALUE nul 0 1\r\nx\r\nEND\r\n");
}

TEST_F(RetrievalTest, GetBumpsAndMarksFetched) {
  tcp("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(tcp("mg a h u\r\n"), "HD h0\r\n");
  tcp("get a\r\n");
  EXPECT_EQ(tcp("mg a h u\r\n"), "HD h1\r\n");
}

}  // namespace
}  // namespace unbuckle::proto::testing
