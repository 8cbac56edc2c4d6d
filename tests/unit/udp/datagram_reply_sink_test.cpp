#include "udp/datagram_reply_sink.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "recording_writer.h"
#include "unbuckle/mc_udp.h"

namespace unbuckle::udp {
namespace {

using namespace std::string_literals;

std::string header(uint16_t id, uint16_t seq, uint16_t total) {
  std::string h(8, '\0');
  writeFrameHeader(FrameHeader{id, seq, total, 0}, h.data());
  return h;
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + i % 26);
  }
  return s;
}

struct SinkTest : ::testing::TestWithParam<size_t> {
  RecordingWriter writer{GetParam()};
  proto::WorkerStats stats;
  DatagramReplySink sink{writer, stats, DatagramReplySink::kMaxMessageBytes};

  void respond(uint16_t id, std::string_view bytes) {
    sink.startRequest(id);
    sink.append(bytes);
    sink.endResponse();
  }
};

TEST_P(SinkTest, SmallResponseIsOneDatagramWithExactHeader) {
  respond(0x0102, "END\r\n");
  ASSERT_EQ(writer.datagrams.size(), 1u);
  EXPECT_EQ(writer.datagrams[0], "\x01\x02\x00\x00\x00\x01\x00\x00"s + "END\r\n");
}

TEST_P(SinkTest, AppendsOfOneResponseAreJoined) {
  sink.startRequest(7);
  sink.append("VALUE a 0 1\r\n");
  sink.append("x");
  sink.append("\r\nEND\r\n");
  sink.endResponse();
  ASSERT_EQ(writer.datagrams.size(), 1u);
  EXPECT_EQ(writer.datagrams[0], header(7, 0, 1) + "VALUE a 0 1\r\nx\r\nEND\r\n");
}

TEST_P(SinkTest, ExactlyOneFullDatagram) {
  const std::string body = pattern(1392);
  respond(3, body);
  ASSERT_EQ(writer.datagrams.size(), 1u);
  EXPECT_EQ(writer.datagrams[0].size(), size_t{MC_UDP_MAX_PAYLOAD});
  EXPECT_EQ(writer.datagrams[0], header(3, 0, 1) + body);
}

TEST_P(SinkTest, OneByteOverSpillsIntoSecondDatagram) {
  const std::string body = pattern(1393);
  respond(3, body);
  ASSERT_EQ(writer.datagrams.size(), 2u);
  EXPECT_EQ(writer.datagrams[0], header(3, 0, 2) + body.substr(0, 1392));
  EXPECT_EQ(writer.datagrams[1], header(3, 1, 2) + body.substr(1392));
  EXPECT_EQ(writer.datagrams[1].size(), 9u);
}

TEST_P(SinkTest, TwoFullDatagrams) {
  const std::string body = pattern(2784);
  respond(3, body);
  ASSERT_EQ(writer.datagrams.size(), 2u);
  EXPECT_EQ(writer.datagrams[0], header(3, 0, 2) + body.substr(0, 1392));
  EXPECT_EQ(writer.datagrams[1], header(3, 1, 2) + body.substr(1392));
}

TEST_P(SinkTest, SplitsLikeMemcachedForA3000ByteValue) {
  // memcached 1.6.18, `get k` of a 3000-byte value: 1392 + 1392 + 239 bytes.
  const std::string reply = "VALUE k 0 3000\r\n" + pattern(3000) + "\r\nEND\r\n";
  respond(53, reply);
  ASSERT_EQ(writer.datagrams.size(), 3u);
  std::string joined;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(writer.datagrams[i].substr(0, 8), header(53, static_cast<uint16_t>(i), 3));
    joined += writer.datagrams[i].substr(8);
  }
  EXPECT_EQ(writer.datagrams[2].size() - 8, 239u);
  EXPECT_EQ(joined, reply);
}

TEST_P(SinkTest, EachResponseIsItsOwnMessage) {
  // memcached 1.6 `get a b` with both hits: VALUE a, VALUE b, END, each seq 0 total 1;
  // a large response followed by a small one: 0/2 1/2 then 0/1.
  sink.startRequest(45);
  sink.append("VALUE a 0 1\r\n1\r\n");
  sink.endResponse();
  sink.append(pattern(1500));
  sink.endResponse();
  sink.append("END\r\n");
  sink.endResponse();
  ASSERT_EQ(writer.datagrams.size(), 4u);
  EXPECT_EQ(writer.datagrams[0], header(45, 0, 1) + "VALUE a 0 1\r\n1\r\n");
  EXPECT_EQ(writer.datagrams[1].substr(0, 8), header(45, 0, 2));
  EXPECT_EQ(writer.datagrams[2].substr(0, 8), header(45, 1, 2));
  EXPECT_EQ(writer.datagrams[3], header(45, 0, 1) + "END\r\n");
}

TEST_P(SinkTest, EmptyResponseIsHeaderOnlyWithTotalZero) {
  sink.startRequest(0xbeef);
  sink.endResponse();
  ASSERT_EQ(writer.datagrams.size(), 1u);
  EXPECT_EQ(writer.datagrams[0], "\xbe\xef\x00\x00\x00\x00\x00\x00"s);
}

TEST_P(SinkTest, StartRequestDropsAnUnendedResponse) {
  sink.startRequest(1);
  sink.append("partial");
  sink.startRequest(2);
  sink.append("END\r\n");
  sink.endResponse();
  ASSERT_EQ(writer.datagrams.size(), 1u);
  EXPECT_EQ(writer.datagrams[0], header(2, 0, 1) + "END\r\n");
}

TEST_P(SinkTest, BytesLentButNotSentGoBackWhenTheRequestEnds) {
  sink.startRequest(1);
  sink.append(pattern(3000));
  sink.startRequest(2);
  sink.append("END\r\n");
  sink.endResponse();
  ASSERT_EQ(writer.datagrams.size(), 1u);
  EXPECT_EQ(writer.datagrams[0], header(2, 0, 1) + "END\r\n");
}

INSTANTIATE_TEST_SUITE_P(DatagramsLent, SinkTest, ::testing::Values(0, 1, 2, SIZE_MAX),
                         [](const auto& info) {
                           return info.param == SIZE_MAX ? std::string("all") : "upTo" + std::to_string(info.param);
                         });

TEST(DatagramReplySink, DropsEverythingOfARequestPastItsBudget) {
  RecordingWriter writer(1);
  proto::WorkerStats stats;
  DatagramReplySink sink(writer, stats, 3000);
  sink.startRequest(1);
  sink.append(pattern(2000));
  sink.endResponse();            // 2000 bytes: sent
  sink.append(pattern(600));
  sink.append(pattern(600));     // 3200 > 3000: this response is dropped
  sink.endResponse();
  sink.append("END\r\n");        // and so is the rest of the request
  sink.endResponse();
  EXPECT_EQ(writer.datagrams.size(), 2u);
  EXPECT_EQ(stats.udp_reply_truncated, 1u);

  sink.startRequest(2);          // the next request has a fresh budget
  sink.append(pattern(3000));
  sink.endResponse();
  EXPECT_EQ(writer.datagrams.size(), 5u);
  EXPECT_EQ(writer.datagrams[4].substr(0, 8), header(2, 2, 3));
  EXPECT_EQ(stats.udp_reply_truncated, 1u);
}

TEST(DatagramReplySink, BudgetScalesWithItemSizeWithinMemcachedLimits) {
  EXPECT_EQ(DatagramReplySink::replyBudget(1024), size_t{1} << 20);
  EXPECT_EQ(DatagramReplySink::replyBudget(1u << 20), size_t{4} << 20);
  EXPECT_EQ(DatagramReplySink::replyBudget(size_t{1} << 30), DatagramReplySink::kMaxMessageBytes);
}

}  // namespace
}  // namespace unbuckle::udp
