// How input is cut into commands: partial input over a stream, swallowed
// data blocks, datagrams that end early, long lines, pipelining.
#include "engine_fixture.h"

namespace unbuckle::proto::testing {
namespace {

using FramingTest = EngineTest;
using Responses = std::vector<std::string>;

TEST_F(FramingTest, IncompleteLineIsLeftForLater) {
  EXPECT_EQ(feed("get a"), 0u);
  EXPECT_EQ(sink_.text(), "");
  EXPECT_EQ(feed("version\r\nget a"), 9u);
  EXPECT_EQ(sink_.text(), "VERSION 1.6.18\r\n");
  EXPECT_EQ(session_.need, 0u);
}

TEST_F(FramingTest, IncompleteDataBlockSaysHowMuchIsMissing) {
  EXPECT_EQ(feed("set a 0 0 5\r\nab"), 0u);
  EXPECT_EQ(session_.need, 5u);
  EXPECT_EQ(feed("set a 0 0 5\r\nabcde\r"), 0u);
  EXPECT_EQ(session_.need, 1u);
  EXPECT_EQ(tcp("set a 0 0 5\r\nabcde\r\n"), "STORED\r\n");
  EXPECT_EQ(session_.need, 0u);
  // Nothing ran for the incomplete attempts.
  EXPECT_EQ(stat(&WorkerStats::cmd_set), 1u);
}

TEST_F(FramingTest, PipelinedCommandsAnswerInOrder) {
  EXPECT_EQ(tcp("set a 0 0 1\r\n1\r\nget a\r\nincr a 1\r\ngets a\r\ndelete a\r\nget a\r\n"),
            "STORED\r\nVALUE a 0 1\r\n1\r\nEND\r\n2\r\nVALUE a 0 1 2\r\n2\r\nEND\r\nDELETED\r\nEND\r\n");
  EXPECT_EQ(udp("get a\r\nversion\r\nmn\r\n"),
            (Responses{"END\r\n", "VERSION 1.6.18\r\n", "MN\r\n"}));
}

TEST_F(FramingTest, RefusedDataBlockIsSwallowedAcrossReads) {
  tcp("set big 0 0 1\r\nx\r\n");
  const std::string head = "set big 0 0 2000000\r\n";
  const std::string part(1000, 'a');
  EXPECT_EQ(tcp(head + part), "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(session_.swallow, 2000002u - 1000u);
  // "get big" inside the data is swallowed, not run.
  const std::string rest = "get big\r\n" + std::string(2000000 - 1000 - 9, 'a') + "\r\nget big\r\n";
  EXPECT_EQ(tcp(rest), "END\r\n");
  EXPECT_EQ(session_.swallow, 0u);
}

TEST_F(FramingTest, SwallowSmallerThanTheRead) {
  session_.swallow = 4;
  EXPECT_EQ(tcp("xx\r\nversion\r\n"), "VERSION 1.6.18\r\n");
  session_.swallow = 10;
  EXPECT_EQ(tcp("abc"), "");
  EXPECT_EQ(session_.swallow, 7u);
}

TEST_F(FramingTest, LongUnterminatedLineClosesUnlessItIsAGet) {
  EXPECT_EQ(feed(std::string(2048, 'x')), 0u);
  EXPECT_FALSE(session_.close);
  feed(std::string(2049, 'x'));
  EXPECT_TRUE(session_.close);
  session_.close = false;
  EXPECT_EQ(feed("get " + std::string(3000, 'x')), 0u);
  EXPECT_EQ(feed(std::string(100, ' ') + "gets " + std::string(3000, 'x')), 0u);
  EXPECT_FALSE(session_.close);
  feed(std::string(101, ' ') + "get " + std::string(3000, 'x'));
  EXPECT_TRUE(session_.close);
}

TEST_F(FramingTest, DatagramWithoutNewlineIsDroppedAndCounted) {
  tcp("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(udp("get a"), Responses{});
  EXPECT_EQ(udp("get a\r\nget a"), (Responses{"VALUE a 0 1\r\nx\r\nEND\r\n"}));
  EXPECT_EQ(stat(&WorkerStats::udp_dropped_incomplete), 2u);
}

TEST_F(FramingTest, DatagramWithShortDataBlockIsDroppedAndCounted) {
  EXPECT_EQ(udp("set e 0 0 10\r\nabc\r\n"), Responses{});
  EXPECT_EQ(udp("version\r\nset e 0 0 10\r\nabc\r\n"), (Responses{"VERSION 1.6.18\r\n"}));
  EXPECT_EQ(stat(&WorkerStats::udp_dropped_incomplete), 2u);
  EXPECT_EQ(stat(&WorkerStats::cmd_set), 0u);
  // The next datagram is not taken as the rest of the value.
  EXPECT_EQ(udp("get e\r\n"), (Responses{"END\r\n"}));
}

TEST_F(FramingTest, DatagramWithRefusedBlockDoesNotSwallowTheNext) {
  EXPECT_EQ(udp("set big 0 0 2000000\r\naaaa"), (Responses{"SERVER_ERROR object too large for cache\r\n"}));
  EXPECT_EQ(udp("version\r\n"), (Responses{"VERSION 1.6.18\r\n"}));
}

TEST_F(FramingTest, NoreplyAndQuietRepliesSendNothing) {
  EXPECT_EQ(udp("set n 0 0 1 noreply\r\nn\r\n"), Responses{});
  EXPECT_EQ(udp("mg zz v q\r\n"), Responses{});
  EXPECT_EQ(udp("mg n v q\r\nmg zz v q\r\nmn\r\n"), (Responses{"VA 1\r\nn\r\n", "MN\r\n"}));
}

TEST_F(FramingTest, StatsIsOneResponse) {
  const Responses r = udp("stats\r\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].starts_with("STAT pid "));
  EXPECT_TRUE(r[0].ends_with("\r\nEND\r\n"));
}

TEST_F(FramingTest, BigValueIsOneResponse) {
  const std::string value(3000, 'v');
  tcp("set big 0 0 3000\r\n" + value + "\r\nset s 0 0 1\r\nx\r\n");
  EXPECT_EQ(udp("get big s\r\n"),
            (Responses{"VALUE big 0 3000\r\n" + value + "\r\n", "VALUE s 0 1\r\nx\r\nEND\r\n"}));
}

}  // namespace
}  // namespace unbuckle::proto::testing
