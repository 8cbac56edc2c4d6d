// How input is cut into commands: partial input over a stream, swallowed
// data blocks, datagrams that end early, long lines, pipelining.
#include <algorithm>
#include <string>

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

// A multi-key get line arriving one byte per read (up to the datapath's
// 1 MB input limit) costs its length in newline searches, not its square:
// each call searches only the bytes after session.line_scanned.
TEST_F(FramingTest, AnUnterminatedLineIsSearchedOnce) {
  std::string line = "get";
  while (line.size() < (1u << 20)) line += " key" + std::to_string(line.size());
  size_t searched = 0;
  for (size_t length = 1; length <= line.size(); ++length) {
    const std::string_view input(line.data(), length);
    searched += input.size() - std::min(session_.line_scanned, input.size());
    ASSERT_EQ(feed(input), 0u);
    ASSERT_EQ(session_.line_scanned, length);
    ASSERT_FALSE(session_.close);
  }
  EXPECT_EQ(searched, line.size());
  line += "\r\n";
  EXPECT_EQ(tcp(line), "END\r\n");
  EXPECT_EQ(session_.line_scanned, 0u);
}

// What it skips it does not read again: a newline hidden in the bytes
// already searched is not seen (a datapath never changes them).
TEST_F(FramingTest, BytesAlreadySearchedAreNotSearchedAgain) {
  session_.line_scanned = 7;
  EXPECT_EQ(feed("get a\r\nget b"), 0u);
  EXPECT_EQ(sink_.text(), "");
  EXPECT_EQ(session_.line_scanned, 12u);
  session_.line_scanned = 0;
  EXPECT_EQ(feed("get a\r\nget b"), 7u);
  EXPECT_EQ(sink_.text(), "END\r\n");
  EXPECT_EQ(session_.line_scanned, 5u);   // "get b", the tail left for later
}

TEST(FindLineEnd, SearchesOnlyPastWhatWasScanned) {
  size_t scanned = 0;
  EXPECT_EQ(findLineEnd("get a", scanned), std::string_view::npos);
  EXPECT_EQ(scanned, 5u);
  EXPECT_EQ(findLineEnd("get a b\r\n", scanned), 8u);
  EXPECT_EQ(scanned, 0u);
  scanned = 3;
  EXPECT_EQ(findLineEnd("a\nb", scanned), std::string_view::npos);
  EXPECT_EQ(scanned, 3u);
  scanned = 10;   // more than the input: nothing left to search
  EXPECT_EQ(findLineEnd("a\n", scanned), std::string_view::npos);
  EXPECT_EQ(scanned, 2u);
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
