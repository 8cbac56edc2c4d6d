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

struct CoalescingSinkTest : ::testing::TestWithParam<size_t> {
  RecordingWriter writer{GetParam()};
  proto::WorkerStats stats;
  DatagramReplySink sink{writer, stats, DatagramReplySink::kMaxMessageBytes, true};

  void respondWith(const std::vector<std::string>& responses) {
    for (const std::string& response : responses) {
      sink.append(response);
      sink.endResponse();
    }
  }
};

TEST_P(CoalescingSinkTest, SmallResponsesOfOneRequestShareADatagram) {
  sink.startRequest(45);
  respondWith({"VALUE a 0 1\r\n1\r\n", "VALUE b 0 2\r\n22\r\n", "END\r\n"});
  EXPECT_TRUE(writer.datagrams.empty());   // held until the request is answered
  sink.finishRequest();
  ASSERT_EQ(writer.datagrams.size(), 1u);
  EXPECT_EQ(writer.datagrams[0], header(45, 0, 1) + "VALUE a 0 1\r\n1\r\nVALUE b 0 2\r\n22\r\nEND\r\n");
  EXPECT_EQ(sink.requestBytesSent(), writer.datagrams[0].size());
}

TEST_P(CoalescingSinkTest, AResponseThatDoesNotFitBesideTheHeldOnesStartsTheNextDatagram) {
  const std::string a = pattern(1000);
  const std::string b = pattern(392);   // 1392 with a: exactly one datagram
  const std::string c = pattern(700);
  sink.startRequest(9);
  respondWith({a, b, c, "END\r\n"});
  sink.finishRequest();
  ASSERT_EQ(writer.datagrams.size(), 2u);
  EXPECT_EQ(writer.datagrams[0], header(9, 0, 1) + a + b);
  EXPECT_EQ(writer.datagrams[1], header(9, 0, 1) + c + "END\r\n");
}

TEST_P(CoalescingSinkTest, ALargeResponseIsItsOwnMessageBetweenHeldOnes) {
  const std::string big = pattern(3000);
  sink.startRequest(3);
  sink.append("VALUE a 0 1\r\n1\r\n");
  sink.endResponse();
  sink.append(big.substr(0, 10));   // in pieces, as the engine appends a hit
  sink.append(big.substr(10));
  sink.endResponse();
  respondWith({"END\r\n"});
  sink.finishRequest();
  ASSERT_EQ(writer.datagrams.size(), 5u);
  EXPECT_EQ(writer.datagrams[0], header(3, 0, 1) + "VALUE a 0 1\r\n1\r\n");
  EXPECT_EQ(writer.datagrams[1], header(3, 0, 3) + big.substr(0, 1392));
  EXPECT_EQ(writer.datagrams[2], header(3, 1, 3) + big.substr(1392, 1392));
  EXPECT_EQ(writer.datagrams[3], header(3, 2, 3) + big.substr(2784));
  EXPECT_EQ(writer.datagrams[4], header(3, 0, 1) + "END\r\n");
}

TEST_P(CoalescingSinkTest, AnEmptyResponseFollowsTheHeldOnes) {
  sink.startRequest(7);
  respondWith({"VALUE a 0 1\r\n1\r\n", ""});
  sink.finishRequest();
  ASSERT_EQ(writer.datagrams.size(), 2u);
  EXPECT_EQ(writer.datagrams[0], header(7, 0, 1) + "VALUE a 0 1\r\n1\r\n");
  EXPECT_EQ(writer.datagrams[1], header(7, 0, 0));
}

TEST_P(CoalescingSinkTest, HeldResponsesLeaveWhenTheNextOneIsOverBudget) {
  DatagramReplySink small{writer, stats, 3000, true};
  small.startRequest(1);
  small.append("VALUE a 0 1\r\n1\r\n");
  small.endResponse();
  small.append(pattern(100));
  small.append(pattern(3000));   // over the budget: this response and the rest are dropped
  small.endResponse();
  small.append("END\r\n");
  small.endResponse();
  small.finishRequest();
  ASSERT_EQ(writer.datagrams.size(), 1u);
  EXPECT_EQ(writer.datagrams[0], header(1, 0, 1) + "VALUE a 0 1\r\n1\r\n");
  EXPECT_EQ(stats.udp_reply_truncated, 1u);
}

TEST_P(CoalescingSinkTest, StartRequestForgetsWhatAnUnfinishedRequestHeld) {
  sink.startRequest(1);
  respondWith({"VALUE a 0 1\r\n1\r\n"});
  sink.startRequest(2);
  respondWith({"END\r\n"});
  sink.finishRequest();
  ASSERT_EQ(writer.datagrams.size(), 1u);
  EXPECT_EQ(writer.datagrams[0], header(2, 0, 1) + "END\r\n");
}

// Whatever the sizes, coalescing changes where datagrams end, never the
// bytes a client reads: the same payload, in messages a client can take
// one at a time (seq 0..n-1 of n, each at most 1400 bytes), never more
// datagrams than one message per response.
TEST_P(CoalescingSinkTest, SamePayloadAsOneMessagePerResponse) {
  RecordingWriter plain_writer{GetParam()};
  DatagramReplySink plain{plain_writer, stats, DatagramReplySink::kMaxMessageBytes};
  uint32_t random = 12345;
  for (int request = 0; request < 200; ++request) {
    sink.startRequest(static_cast<uint16_t>(request));
    plain.startRequest(static_cast<uint16_t>(request));
    const size_t responses = 1 + request % 7;
    for (size_t r = 0; r < responses; ++r) {
      random = random * 1103515245 + 12345;
      const size_t sizes[] = {0, 5, 30, 600, 1391, 1392, 1393, 3000};
      const std::string response = pattern(sizes[(random >> 16) % 8]);
      for (DatagramReplySink* s : {&sink, &plain}) {
        s->append(response.substr(0, response.size() / 3));
        s->append(response.substr(response.size() / 3));
        s->endResponse();
      }
    }
    sink.finishRequest();
    plain.finishRequest();
  }
  const auto payload = [](const std::vector<std::string>& datagrams) {
    std::string joined;
    for (const std::string& d : datagrams) joined += d.substr(8);
    return joined;
  };
  EXPECT_EQ(payload(writer.datagrams), payload(plain_writer.datagrams));
  EXPECT_LT(writer.datagrams.size(), plain_writer.datagrams.size());
  uint16_t expected_sequence = 0;
  for (const std::string& d : writer.datagrams) {
    ASSERT_LE(d.size(), size_t{MC_UDP_MAX_PAYLOAD});
    const FrameHeader h = readFrameHeader(d.data());
    EXPECT_EQ(h.sequence, expected_sequence);
    expected_sequence = h.total == 0 || h.sequence + 1 == h.total ? 0 : h.sequence + 1;
  }
  EXPECT_EQ(expected_sequence, 0);
}

INSTANTIATE_TEST_SUITE_P(DatagramsLent, CoalescingSinkTest, ::testing::Values(0, 1, 2, SIZE_MAX),
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
