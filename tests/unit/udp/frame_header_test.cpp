#include "udp/frame_header.h"

#include <gtest/gtest.h>

#include <string>

namespace unbuckle::udp {
namespace {

using namespace std::string_literals;

std::string frame(uint16_t id, uint16_t seq, uint16_t total, uint16_t reserved,
                  std::string_view payload) {
  std::string bytes(8, '\0');
  writeFrameHeader(FrameHeader{id, seq, total, reserved}, bytes.data());
  return bytes.append(payload);
}

TEST(ParseRequest, AcceptsSingleDatagramAndEchoesRequestId) {
  proto::WorkerStats stats;
  const std::string d = frame(161, 0, 1, 0, "get foo\r\n");
  const auto request = parseRequest(d, stats);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->request_id, 161);
  EXPECT_EQ(request->payload, "get foo\r\n");
  EXPECT_EQ(stats.udp_datagrams_in, 1u);
  EXPECT_EQ(stats.bytes_read, d.size());
  EXPECT_EQ(stats.udp_dropped_short, 0u);
  EXPECT_EQ(stats.udp_dropped_multipacket, 0u);
}

TEST(ParseRequest, IgnoresSequenceAndReserved) {
  proto::WorkerStats stats;
  const std::string d = frame(9, 1, 1, 5, "version\r\n");
  const auto request = parseRequest(d, stats);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->request_id, 9);
  EXPECT_EQ(request->payload, "version\r\n");
}

TEST(ParseRequest, DropsDatagramsOfEightBytesOrLess) {
  proto::WorkerStats stats;
  EXPECT_FALSE(parseRequest("", stats));
  EXPECT_FALSE(parseRequest("\x00\x01\x00\x00\x01"s, stats));
  EXPECT_FALSE(parseRequest(frame(1, 0, 1, 0, ""), stats));
  EXPECT_EQ(stats.udp_datagrams_in, 3u);
  EXPECT_EQ(stats.udp_dropped_short, 3u);
  EXPECT_EQ(stats.bytes_read, 0u);
  EXPECT_TRUE(parseRequest(frame(1, 0, 1, 0, "x"), stats));
}

TEST(ParseRequest, DropsMultiPacketRequests) {
  proto::WorkerStats stats;
  EXPECT_FALSE(parseRequest(frame(1, 0, 2, 0, "get a\r\n"), stats));
  EXPECT_FALSE(parseRequest(frame(1, 0, 0, 0, "get a\r\n"), stats));
  EXPECT_FALSE(parseRequest(frame(1, 0, 0x0101, 0, "get a\r\n"), stats));
  EXPECT_EQ(stats.udp_dropped_multipacket, 3u);
  EXPECT_EQ(stats.udp_dropped_short, 0u);
  EXPECT_EQ(stats.udp_datagrams_in, 3u);
}

}  // namespace
}  // namespace unbuckle::udp
