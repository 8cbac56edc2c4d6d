#include "client/udp_reassembly.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "client/get_reply_parser.h"
#include "unbuckle/mc_udp.h"

namespace unbuckle::client {
namespace {

using Status = UdpReassembly::Status;

FrameHeader header(uint16_t sequence, uint16_t total, uint16_t reserved = 0) {
  return FrameHeader{0x1234, sequence, total, reserved};
}

TEST(UdpReassembly, InOrder) {
  UdpReassembly message;
  EXPECT_FALSE(message.started());
  EXPECT_EQ(message.add(header(0, 3), "ab"), Status::kIncomplete);
  EXPECT_TRUE(message.started());
  EXPECT_EQ(message.add(header(1, 3), "cd"), Status::kIncomplete);
  EXPECT_EQ(message.add(header(2, 3), "e"), Status::kComplete);
  EXPECT_EQ(message.message(), "abcde");
}

TEST(UdpReassembly, OutOfOrder) {
  UdpReassembly message;
  EXPECT_EQ(message.add(header(2, 3), "e"), Status::kIncomplete);
  EXPECT_EQ(message.add(header(0, 3), "ab"), Status::kIncomplete);
  EXPECT_EQ(message.add(header(1, 3), "cd"), Status::kComplete);
  EXPECT_EQ(message.message(), "abcde");
}

TEST(UdpReassembly, InconsistentFramesSpoilTheMessage) {
  {
    UdpReassembly message;
    EXPECT_EQ(message.add(header(0, 2), "a"), Status::kIncomplete);
    EXPECT_EQ(message.add(header(0, 2), "a"), Status::kBadFrame);  // duplicate
    EXPECT_EQ(message.add(header(1, 2), "b"), Status::kBadFrame);  // stays bad
  }
  {
    UdpReassembly message;
    EXPECT_EQ(message.add(header(0, 2), "a"), Status::kIncomplete);
    EXPECT_EQ(message.add(header(1, 3), "b"), Status::kBadFrame);  // total changed midstream
  }
  EXPECT_EQ(UdpReassembly().add(header(2, 2), "a"), Status::kBadFrame);     // sequence beyond total
  EXPECT_EQ(UdpReassembly().add(header(0, 0), "a"), Status::kBadFrame);     // no total
  EXPECT_EQ(UdpReassembly().add(header(0, 1, 1), "a"), Status::kBadFrame);  // reserved set
}

TEST(UdpReassembly, ResetMakesItReusable) {
  UdpReassembly message;
  EXPECT_EQ(message.add(header(0, 0), "a"), Status::kBadFrame);
  message.reset();
  EXPECT_FALSE(message.started());
  EXPECT_EQ(message.add(header(0, 1), "END\r\n"), Status::kComplete);
  EXPECT_EQ(message.message(), "END\r\n");
}

TEST(UdpReassembly, RecognisesDuplicates) {
  UdpReassembly message;
  EXPECT_FALSE(message.isDuplicate(header(0, 2), "a"));
  EXPECT_EQ(message.add(header(0, 2), "a"), Status::kIncomplete);
  EXPECT_TRUE(message.isDuplicate(header(0, 2), "a"));
  EXPECT_FALSE(message.isDuplicate(header(0, 2), "b"));  // same place, other bytes: another message
  EXPECT_FALSE(message.isDuplicate(header(0, 3), "a"));  // other total
  EXPECT_FALSE(message.isDuplicate(header(1, 2), "a"));
}

// A 3000-byte hit cut the way memcached 1.6 cuts it (1392 payload bytes per
// datagram), delivered in a shuffled order, parses as that hit; one lost
// datagram leaves it incomplete, one flipped CRLF makes it corrupt.
TEST(UdpReassembly, MemcachedStyleBigReplyValidates) {
  const std::string value(3000, 'v');
  const std::string reply = "VALUE big 7 3000\r\n" + value + "\r\nEND\r\n";
  std::vector<std::string> datagrams;
  const auto total = static_cast<uint16_t>((reply.size() + MC_UDP_DATA_SIZE - 1) / MC_UDP_DATA_SIZE);
  ASSERT_EQ(total, 3);
  for (uint16_t seq = 0; seq < total; ++seq) {
    std::string datagram(MC_UDP_HEADER_SIZE, '\0');
    writeFrameHeader(FrameHeader{77, seq, total, 0}, datagram.data());
    datagram += reply.substr(seq * MC_UDP_DATA_SIZE, MC_UDP_DATA_SIZE);
    datagrams.push_back(datagram);
  }
  std::swap(datagrams[0], datagrams[2]);

  UdpReassembly message;
  Status status = Status::kIncomplete;
  for (const std::string& datagram : datagrams) {
    const auto parsed = parseFrameHeader(datagram);
    ASSERT_TRUE(parsed);
    status = message.add(*parsed, std::string_view(datagram).substr(MC_UDP_HEADER_SIZE));
  }
  ASSERT_EQ(status, Status::kComplete);
  GetReplyMessage parsed;
  ASSERT_TRUE(parseGetReplyMessage(message.message(), parsed));
  ASSERT_EQ(parsed.values.size(), 1u);
  EXPECT_EQ(parsed.values[0].key, "big");
  EXPECT_EQ(parsed.values[0].flags, 7u);
  EXPECT_EQ(parsed.values[0].data, value);
  EXPECT_TRUE(parsed.ends_reply);

  std::string corrupted(message.message());
  corrupted[corrupted.size() - 6] = 'x';  // the CRLF after the data
  EXPECT_FALSE(parseGetReplyMessage(corrupted, parsed));
}

}  // namespace
}  // namespace unbuckle::client
