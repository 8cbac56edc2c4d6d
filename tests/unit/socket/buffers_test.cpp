#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "socket/buffer_pool.h"
#include "socket/input_buffer.h"
#include "socket/output_buffer.h"

namespace unbuckle::net {
namespace {

// Room for every buffer of a test that is not about the pool.
BufferPool roomy(size_t{1} << 30);

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
  InputBuffer buffer(1 << 20, roomy);
  fill(buffer, "get a\r\nget");
  EXPECT_EQ(buffer.data(), "get a\r\nget");
  buffer.consume(7);
  EXPECT_EQ(buffer.data(), "get");
  fill(buffer, " b\r\n");
  EXPECT_EQ(buffer.data(), "get b\r\n");
}

TEST(InputBuffer, GrowsToWhatTheCommandNeedsWithinTheLimit) {
  InputBuffer buffer(1 << 20, roomy);
  fill(buffer, "set k 0 0 500000\r\n");
  const std::span<char> space = buffer.space(500000 + 20);
  EXPECT_GE(buffer.data().size() + space.size(), 500020u);
  EXPECT_EQ(buffer.data(), "set k 0 0 500000\r\n");
}

TEST(InputBuffer, StopsAtTheLimit) {
  InputBuffer buffer(20000, roomy);
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
  InputBuffer buffer(4 << 20, roomy);
  fill(buffer, std::string(1 << 20, 'v'), 1 << 20);
  EXPECT_GE(buffer.capacity(), size_t{1} << 20);
  buffer.consume(1 << 20);
  EXPECT_EQ(buffer.capacity(), 0u);
  fill(buffer, "get a\r\n");
  EXPECT_EQ(buffer.capacity(), InputBuffer::kInitialSize);
}

TEST(OutputBuffer, QueuesRepliesUntilSent) {
  OutputBuffer out(1 << 20, roomy);
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
  OutputBuffer out(100, roomy);
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
  OutputBuffer out(100, roomy);
  out.append(std::string(80, 'a'));
  out.endResponse();
  out.consume(60);
  out.append(std::string(80, 'b'));
  out.endResponse();
  EXPECT_FALSE(out.overflowed());
  EXPECT_EQ(out.size(), 100u);
}

TEST(InputBuffer, BorrowsBeyondItsGuaranteeAndGivesItBack) {
  BufferPool pool(1 << 20);
  {
    InputBuffer buffer(4 << 20, pool);
    fill(buffer, "get a\r\n");
    EXPECT_EQ(pool.used(), 0u);
    fill(buffer, std::string(100000, 'v'), 100000);
    EXPECT_EQ(pool.used(), buffer.capacity() - InputBuffer::kGuaranteed);
    buffer.consume(buffer.data().size());
    EXPECT_EQ(pool.used(), 0u);
    fill(buffer, std::string(100000, 'v'), 100000);
    EXPECT_GT(pool.used(), 0u);
  }
  EXPECT_EQ(pool.used(), 0u);   // the destructor returns it
}

TEST(InputBuffer, StarvesWhenThePoolIsEmpty) {
  BufferPool pool(1000);
  InputBuffer buffer(1 << 20, pool);
  EXPECT_EQ(buffer.reachable(), InputBuffer::kGuaranteed + 1000);
  fill(buffer, std::string(InputBuffer::kGuaranteed + 1000, 'x'), 1 << 20);
  EXPECT_EQ(pool.available(), 0u);
  EXPECT_TRUE(buffer.space(1 << 20).empty());
  EXPECT_TRUE(buffer.starved());
  EXPECT_TRUE(buffer.full());
  buffer.consume(10);
  EXPECT_FALSE(buffer.full());
  EXPECT_EQ(buffer.space(1 << 20).size(), 10u);
}

TEST(OutputBuffer, RefusesAResponseThePoolCannotHold) {
  BufferPool pool(1000);
  OutputBuffer out(1 << 20, pool);
  out.append(std::string(OutputBuffer::kGuaranteed, 'a'));
  out.endResponse();
  EXPECT_EQ(pool.used(), 0u);
  out.append(std::string(900, 'b'));
  out.endResponse();
  EXPECT_FALSE(out.overflowed());
  EXPECT_EQ(pool.used(), 900u);
  out.append(std::string(200, 'c'));   // the pool has 100 bytes left
  EXPECT_TRUE(out.overflowed());
  EXPECT_EQ(out.pending().substr(OutputBuffer::kGuaranteed + 900),
            "SERVER_ERROR out of memory writing get response\r\n");
  out.consume(out.size());
  EXPECT_EQ(pool.used(), 0u);
}

TEST(OutputBuffer, ReturnsWhatItBorrowedWhenDestroyed) {
  BufferPool pool(1 << 20);
  {
    OutputBuffer out(1 << 20, pool);
    out.append(std::string(200000, 'a'));
    EXPECT_EQ(pool.used(), out.capacity() - OutputBuffer::kGuaranteed);
  }
  EXPECT_EQ(pool.used(), 0u);
}

}  // namespace
}  // namespace unbuckle::net
