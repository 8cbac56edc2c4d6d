#include "mcbench/reply_check.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace unbuckle::mcbench {
namespace {

const ExpectedItem kItem{"mcb:01", "hello", 7};

Verdict get(std::string_view reply, bool validate = true) {
  return checkGetReply(reply, kItem, validate);
}

void expectError(const Verdict& verdict, ErrorKind kind) {
  EXPECT_EQ(verdict.outcome, Outcome::kError);
  EXPECT_EQ(verdict.error, kind) << errorKindName(verdict.error);
}

TEST(CheckGetReply, MissAndHit) {
  EXPECT_EQ(get("END\r\n").outcome, Outcome::kMiss);
  EXPECT_EQ(get("VALUE mcb:01 7 5\r\nhello\r\nEND\r\n").outcome, Outcome::kHit);
  EXPECT_EQ(get("VALUE mcb:01 7 5 12345\r\nhello\r\nEND\r\n").outcome, Outcome::kHit);  // gets-style cas
}

TEST(CheckGetReply, KeyIsCheckedEvenWithoutValidate) {
  expectError(get("VALUE mcb:02 7 5\r\nhello\r\nEND\r\n", false), ErrorKind::kWrongKey);
}

TEST(CheckGetReply, ValidateChecksFlagsLengthAndBytes) {
  expectError(get("VALUE mcb:01 8 5\r\nhello\r\nEND\r\n"), ErrorKind::kWrongFlags);
  expectError(get("VALUE mcb:01 7 4\r\nhell\r\nEND\r\n"), ErrorKind::kWrongLength);
  expectError(get("VALUE mcb:01 7 5\r\nhellO\r\nEND\r\n"), ErrorKind::kWrongValue);
  // Without --validate the same replies are hits.
  EXPECT_EQ(get("VALUE mcb:01 8 5\r\nhello\r\nEND\r\n", false).outcome, Outcome::kHit);
  EXPECT_EQ(get("VALUE mcb:01 7 5\r\nhellO\r\nEND\r\n", false).outcome, Outcome::kHit);
}

TEST(CheckGetReply, FramingErrors) {
  expectError(get("VALUE mcb:01 7 5\r\nhello\r\n"), ErrorKind::kMissingEnd);
  expectError(get("VALUE mcb:01 7 5\r\nhello\r\nEND\r\nEND\r\n"), ErrorKind::kMissingEnd);
  expectError(get("VALUE mcb:01 7 5\r\nhel"), ErrorKind::kMalformed);
  expectError(get("VALUE mcb:01 7 5\r\nhelloXXEND\r\n"), ErrorKind::kMalformed);
  expectError(get("VALUE mcb:01 7\r\nhello\r\nEND\r\n"), ErrorKind::kMalformed);
  expectError(get("VALUE mcb:01 x 5\r\nhello\r\nEND\r\n"), ErrorKind::kMalformed);
  expectError(get("STORED\r\n"), ErrorKind::kMalformed);
  expectError(get(""), ErrorKind::kMalformed);
  expectError(get("END"), ErrorKind::kMalformed);
}

TEST(CheckGetReply, ServerErrors) {
  expectError(get("ERROR\r\n"), ErrorKind::kServerError);
  expectError(get("CLIENT_ERROR bad command line format\r\n"), ErrorKind::kServerError);
  expectError(get("SERVER_ERROR out of memory writing get response\r\n"), ErrorKind::kServerError);
}

TEST(CheckSetReply, Outcomes) {
  EXPECT_EQ(checkSetReply("STORED\r\n").outcome, Outcome::kStored);
  expectError(checkSetReply("NOT_STORED\r\n"), ErrorKind::kNotStored);
  expectError(checkSetReply("SERVER_ERROR out of memory storing object\r\n"), ErrorKind::kServerError);
  expectError(checkSetReply("STORED\r\nSTORED\r\n"), ErrorKind::kMalformed);
  expectError(checkSetReply("YES\r\n"), ErrorKind::kMalformed);
}

TEST(FrameReply, GetRepliesInAStream) {
  const std::string hit = "VALUE mcb:01 7 5\r\nhello\r\nEND\r\n";
  const std::string stream = hit + "END\r\n" + "SERVER_ERROR x\r\n";
  Framing framing = frameReply(stream, Op::kGet);
  ASSERT_EQ(framing.status, Framing::Status::kComplete);
  EXPECT_EQ(framing.length, hit.size());
  framing = frameReply(std::string_view(stream).substr(hit.size()), Op::kGet);
  ASSERT_EQ(framing.status, Framing::Status::kComplete);
  EXPECT_EQ(framing.length, 5u);
  framing = frameReply(std::string_view(stream).substr(hit.size() + 5), Op::kGet);
  ASSERT_EQ(framing.status, Framing::Status::kComplete);
  EXPECT_EQ(framing.length, 16u);
  // Every proper prefix of a reply needs more bytes.
  for (size_t cut = 0; cut < hit.size(); ++cut) {
    EXPECT_EQ(frameReply(std::string_view(hit).substr(0, cut), Op::kGet).status, Framing::Status::kNeedMore) << cut;
  }
}

TEST(FrameReply, DataMayContainLineEndings) {
  const std::string reply = "VALUE k 0 7\r\nEND\r\n\r\n\r\nEND\r\n";  // data: "END\r\n\r\n"
  const Framing framing = frameReply(reply, Op::kGet);
  ASSERT_EQ(framing.status, Framing::Status::kComplete);
  EXPECT_EQ(framing.length, reply.size());
}

TEST(FrameReply, GarbageCannotBeFollowed) {
  EXPECT_EQ(frameReply("HELLO\r\n", Op::kGet).status, Framing::Status::kGarbage);
  EXPECT_EQ(frameReply(std::string(2000, 'x'), Op::kGet).status, Framing::Status::kGarbage);
}

TEST(FrameReply, SetRepliesAreOneLine) {
  const Framing framing = frameReply("STORED\r\nSTO", Op::kSet);
  ASSERT_EQ(framing.status, Framing::Status::kComplete);
  EXPECT_EQ(framing.length, 8u);
  EXPECT_EQ(frameReply("STO", Op::kSet).status, Framing::Status::kNeedMore);
}

TEST(ErrorKindName, EveryKindHasItsOwnName) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kErrorKindCount; ++i) names.insert(errorKindName(static_cast<ErrorKind>(i)));
  EXPECT_EQ(names.size(), kErrorKindCount);
  EXPECT_EQ(names.count("unknown"), 0u);
}

}  // namespace
}  // namespace unbuckle::mcbench
