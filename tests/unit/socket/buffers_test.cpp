#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "socket/input_buffer.h"
#include "socket/output_buffer.h"

namespace unbuckle::net {
namespace {

void fill(InputBuffer& buffer, std::string_view bytes, size_t want = 0) {
  while (!bytes.empty()) {
    const std::span<char> space = buffer.space(want);
    ASSERT_FALSE(space.empty());
    const size_t n = std::min(space.size(), bytes.size());
    std::memcpy(space.data(), bytes.data(), n);
    buffer.commit(n);
    bytes.remove_prefix(n);
  }
}

TEST(InputBuffer, KeepsUnconsumedBytesAcrossReads) {
  InputBuffer buffer(1 << 20);
  fill(buffer, "get a\r\nget");
  EXPECT_EQ(buffer.data(), "get a\r\nget");
  buffer.consume(7);
  EXPECT_EQ(buffer.data(), "get");
  fill(buffer, " b\r\n");
  EXPECT_EQ(buffer.data(), "get b\r\n");
}

TEST(InputBuffer, GrowsToWhatTheCommandNeedsWithinTheLimit) {
  InputBuffer buffer(1 << 20);
  fill(buffer, "set k 0 0 500000\r\n");
  const std::span<char> space = buffer.space(500000 + 20);
  EXPECT_GE(buffer.data().size() + space.size(), 500020u);
  EXPECT_EQ(buffer.data(), "set k 0 0 500000\r\n");
}

TEST(InputBuffer, StopsAtTheLimit) {
  InputBuffer buffer(20000);
  fill(buffer, std::string(19990, 'x'));
  EXPECT_EQ(buffer.space(1 << 20).size(), 10u);
  fill(buffer, "0123456789");
  EXPECT_TRUE(buffer.full());
  EXPECT_TRUE(buffer.space(1 << 20).empty());
  buffer.consume(1);
  EXPECT_FALSE(buffer.full());
  EXPECT_EQ(buffer.space(0).size(), 1u);
}

TEST(InputBuffer, GivesLargeMemoryBackOnceConsumed) {
  InputBuffer buffer(4 << 20);
  fill(buffer, std::string(1 << 20, 'v'), 1 << 20);
  EXPECT_GE(buffer.capacity(), size_t{1} << 20);
  buffer.consume(1 << 20);
  EXPECT_EQ(buffer.capacity(), 0u);
  fill(buffer, "get a\r\n");
  EXPECT_EQ(buffer.capacity(), InputBuffer::kInitialSize);
}

TEST(OutputBuffer, QueuesRepliesUntilSent) {
  OutputBuffer out(1 << 20);
  out.append("STORED\r\n");
  out.endResponse();
  out.append("END\r\n");
  out.endResponse();
  EXPECT_EQ(out.pending(), "STORED\r\nEND\r\n");
  out.consume(3);
  EXPECT_EQ(out.pending(), "RED\r\nEND\r\n");
  EXPECT_EQ(out.size(), 10u);
  out.consume(10);
  EXPECT_EQ(out.size(), 0u);
  EXPECT_FALSE(out.overflowed());
}

TEST(OutputBuffer, ReplacesAResponseThatCrossesTheLimit) {
  OutputBuffer out(100);
  out.append("VALUE a 0 1\r\nx\r\n");
  out.endResponse();
  out.append("VALUE b 0 90\r\n");
  out.append(std::string(90, 'y'));   // crosses 100: this response is replaced
  out.append("\r\nEND\r\n");
  out.endResponse();
  EXPECT_TRUE(out.overflowed());
  EXPECT_EQ(out.pending(),
            "VALUE a 0 1\r\nx\r\nSERVER_ERROR out of memory writing get response\r\n");
}

TEST(OutputBuffer, LimitCountsOnlyUnsentBytes) {
  OutputBuffer out(100);
  out.append(std::string(80, 'a'));
  out.endResponse();
  out.consume(60);
  out.append(std::string(80, 'b'));
  out.endResponse();
  EXPECT_FALSE(out.overflowed());
  EXPECT_EQ(out.size(), 100u);
}

}  // namespace
}  // namespace unbuckle::net
