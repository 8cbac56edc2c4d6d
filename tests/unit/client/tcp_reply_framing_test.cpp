#include "client/tcp_reply_framing.h"

#include <gtest/gtest.h>

#include <string>

namespace unbuckle::client {
namespace {

using Status = Framing::Status;

void expectFramedAt(const std::string& stream, CommandKind kind, size_t length) {
  for (size_t cut = 0; cut < length; ++cut) {
    EXPECT_EQ(frameReply(std::string_view(stream).substr(0, cut), kind).status, Status::kNeedMore) << stream << cut;
  }
  const Framing framing = frameReply(stream, kind);
  EXPECT_EQ(framing.status, Status::kComplete) << stream;
  EXPECT_EQ(framing.length, length) << stream;
}

TEST(TcpReplyFraming, Lines) {
  expectFramedAt("STORED\r\nDELETED\r\n", CommandKind::kLine, 8);
  expectFramedAt("SERVER_ERROR out of memory\r\nX", CommandKind::kLine, 28);
}

TEST(TcpReplyFraming, Values) {
  expectFramedAt("VALUE k 0 5\r\nEND\r\n\r\nEND\r\nSTORED\r\n", CommandKind::kValues, 25);
  expectFramedAt("ERROR\r\nEND\r\n", CommandKind::kValues, 7);
  EXPECT_EQ(frameReply("NOT_A_REPLY\r\n", CommandKind::kValues).status, Status::kCorrupt);
}

// A get reply arriving a byte at a time, each call resuming where the last
// one stopped, as TcpConnection frames it: the same end, and a corrupt block
// past the resume point is still found.
TEST(TcpReplyFraming, ValuesResumeWhereTheLastReadStopped) {
  const std::string reply = "VALUE a 1 3\r\nabc\r\nVALUE bb 0 0\r\n\r\nVALUE c 2 5 9\r\nEND\r\n\r\nEND\r\n";
  size_t resume = 0;
  for (size_t cut = 0; cut < reply.size(); ++cut) {
    const Framing framing = frameReply(std::string_view(reply).substr(0, cut), CommandKind::kValues, resume);
    ASSERT_EQ(framing.status, Status::kNeedMore) << cut;
    ASSERT_GE(framing.length, resume) << cut;
    ASSERT_LE(framing.length, cut) << cut;
    resume = framing.length;
  }
  EXPECT_EQ(resume, reply.size() - 5);  // every VALUE block, not END
  const Framing whole = frameReply(reply + "STORED\r\n", CommandKind::kValues, resume);
  EXPECT_EQ(whole.status, Status::kComplete);
  EXPECT_EQ(whole.length, reply.size());

  const std::string damaged = "VALUE a 1 3\r\nabc\r\nVALUE b 0 2\r\nxyz\r\nEND\r\n";
  const Framing first = frameReply(std::string_view(damaged).substr(0, 20), CommandKind::kValues);
  ASSERT_EQ(first.status, Status::kNeedMore);
  EXPECT_EQ(first.length, 18u);
  EXPECT_EQ(frameReply(damaged, CommandKind::kValues, first.length).status, Status::kCorrupt);
}

TEST(TcpReplyFraming, Meta) {
  expectFramedAt("VA 4 f5 c9\r\nab\r\n\r\nHD\r\n", CommandKind::kMeta, 18);
  expectFramedAt("HD c9\r\nEN\r\n", CommandKind::kMeta, 7);
  expectFramedAt("EN\r\n", CommandKind::kMeta, 4);
  EXPECT_EQ(frameReply("VA x\r\n", CommandKind::kMeta).status, Status::kCorrupt);
  EXPECT_EQ(frameReply("VA 1\r\nabc", CommandKind::kMeta).status, Status::kCorrupt);  // no CRLF after the data
  // Sizes over memcached's 1 GiB limit, among them ones whose end wraps
  // around to a length inside the line (once an exception from substr).
  EXPECT_EQ(frameReply("VA 1073741824\r\nab", CommandKind::kMeta).status, Status::kNeedMore);
  for (const char* reply : {"VA 1073741825\r\nab", "VA 18446744073709551589\r\n", "VA 18446744073709551614 \r\n"}) {
    EXPECT_EQ(frameReply(reply, CommandKind::kMeta).status, Status::kCorrupt) << reply;
  }
}

// A line of up to 8192 bytes is framed, a longer one is corrupt, and
// neither verdict depends on where a read cut it.
TEST(TcpReplyFraming, LineLengthLimitDoesNotDependOnReads) {
  const std::string longest = std::string(8192, 'x') + "\r\n";
  const std::string too_long = std::string(8193, 'x') + "\r\n";
  for (const CommandKind kind : {CommandKind::kLine, CommandKind::kMeta, CommandKind::kStats}) {
    const std::string ending = kind == CommandKind::kStats ? "END\r\n" : "";
    const std::string prefix = kind == CommandKind::kStats ? "STAT " : "";
    const std::string fits = prefix + longest.substr(prefix.size()) + ending;
    expectFramedAt(fits, kind, fits.size());
    const std::string over = prefix + too_long.substr(prefix.size()) + ending;
    for (const size_t cut : {over.size() - ending.size() - 1, over.size()}) {
      EXPECT_EQ(frameReply(std::string_view(over).substr(0, cut), kind).status, Status::kCorrupt)
          << static_cast<int>(kind) << " " << cut;
    }
  }
}

TEST(TcpReplyFraming, Stats) {
  expectFramedAt("STAT pid 1\r\nSTAT uptime 2\r\nEND\r\nX", CommandKind::kStats, 32);
  EXPECT_EQ(frameReply("VALUE a\r\n", CommandKind::kStats).status, Status::kCorrupt);
}

}  // namespace
}  // namespace unbuckle::client
