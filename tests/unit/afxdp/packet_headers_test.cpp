// Request parsing and reply headers on hand-built frames (tests/bpf's Pkt):
// every header shape the XDP program steers, malformed lengths, and replies
// compared byte for byte with frames computed independently, their
// checksums re-verified by a plain RFC 1071 sum.
#include "afxdp/packet_headers.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "packet_builder.h"

namespace unbuckle::afxdp {
namespace {

using testing::hexdump;
using testing::Pkt;

constexpr uint16_t kPort = 11211;
const std::string kGet = "get k\r\n";
// The reply payload used throughout: memcached frame header (id 7, seq 0,
// total 1) and "END\r\n".
const std::string kEnd = std::string("\x00\x07\x00\x00\x00\x01\x00\x00", 8) + "END\r\n";

std::vector<uint8_t> fromHex(const std::string& hex) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

// The slow, obvious RFC 1071 sum over big-endian words, independent of the
// code under test.
uint32_t referenceSum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i < n; i += 2) {
    sum += (p[i] << 8) | (i + 1 < n ? p[i + 1] : 0);
  }
  return sum;
}

uint16_t referenceFold(uint32_t sum) {
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(sum);
}

// Recomputes the IPv4 header checksum of a frame changed by hand.
void setIpv4Checksum(std::vector<uint8_t>& frame, size_t ip_offset) {
  uint8_t* ip = frame.data() + ip_offset;
  ip[10] = ip[11] = 0;
  const uint16_t sum = static_cast<uint16_t>(~referenceFold(referenceSum(ip, (ip[0] & 0x0f) * 4u)));
  ip[10] = static_cast<uint8_t>(sum >> 8);
  ip[11] = static_cast<uint8_t>(sum & 0xff);
}

std::vector<uint8_t> buildReply(const std::vector<uint8_t>& request, const std::string& payload,
                                uint16_t ip_id = 0x1234) {
  const auto headers = parseRequestHeaders(request);
  EXPECT_TRUE(headers);
  if (!headers) {
    return {};
  }
  const ReplyHeaders reply(*headers);
  std::vector<uint8_t> frame(reply.size() + payload.size());
  std::memcpy(frame.data() + reply.size(), payload.data(), payload.size());
  reply.write(frame.data(), payload.size(), ip_id);
  return frame;
}

// Checks a reply's IPv4 header checksum and UDP checksum by recomputation.
void expectValidChecksums(const std::vector<uint8_t>& frame, size_t ip_offset) {
  const uint8_t* ip = frame.data() + ip_offset;
  const bool ipv6 = ip[0] >> 4 == 6;
  const size_t ip_header = ipv6 ? 40 : static_cast<size_t>(ip[0] & 0x0f) * 4;
  const uint8_t* udp = ip + ip_header;
  const size_t udp_length = (udp[4] << 8) | udp[5];
  ASSERT_EQ(ip_offset + ip_header + udp_length, frame.size());
  uint32_t pseudo = 0;
  if (ipv6) {
    pseudo = referenceSum(ip + 8, 32) + udp_length + IPPROTO_UDP;
  } else {
    EXPECT_EQ(referenceFold(referenceSum(ip, ip_header)), 0xffff) << "IPv4 header checksum";
    EXPECT_EQ(((ip[2] << 8) | ip[3]), ip_header + udp_length) << "IPv4 total length";
    pseudo = referenceSum(ip + 12, 8) + udp_length + IPPROTO_UDP;
  }
  EXPECT_NE(udp[6] | udp[7], 0) << "UDP checksum present";
  EXPECT_EQ(referenceFold(referenceSum(udp, udp_length, pseudo)), 0xffff) << "UDP checksum";
}

TEST(ParseRequestHeaders, Ipv4) {
  const auto frame = Pkt().eth().ipv4().udp(kPort, 40000).mcFrame(7).payload(kGet).build();
  const auto headers = parseRequestHeaders(frame);
  ASSERT_TRUE(headers);
  EXPECT_FALSE(headers->ipv6);
  EXPECT_FALSE(headers->has_vlan);
  EXPECT_EQ(headers->source_mac, (std::array<uint8_t, 6>{2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(headers->destination_mac, (std::array<uint8_t, 6>{2, 0, 0, 0, 0, 1}));
  EXPECT_EQ(0, std::memcmp(headers->source_address.data(), "\x0a\x00\x00\x02", 4));
  EXPECT_EQ(0, std::memcmp(headers->destination_address.data(), "\x0a\x00\x00\x01", 4));
  EXPECT_EQ(ntohs(headers->source_port), 40000);
  EXPECT_EQ(ntohs(headers->destination_port), kPort);
  EXPECT_EQ(headers->payload_offset, 14u + 20 + 8);
  EXPECT_EQ(headers->payload_length, 8 + kGet.size());
}

TEST(ParseRequestHeaders, Ipv4OptionsAreSkipped) {
  const auto frame = Pkt().eth().ipv4().ipv4Options(3).udp(kPort).mcFrame(7).payload(kGet).build();
  const auto headers = parseRequestHeaders(frame);
  ASSERT_TRUE(headers);
  EXPECT_EQ(headers->payload_offset, 14u + 32 + 8);
  EXPECT_EQ(headers->payload_length, 8 + kGet.size());
}

TEST(ParseRequestHeaders, VlanTagIsKept) {
  for (uint16_t tpid : {uint16_t{0x8100}, uint16_t{0x88a8}}) {
    const auto frame = Pkt().eth().vlan(100, tpid).ipv4().udp(kPort).mcFrame(7).payload(kGet).build();
    const auto headers = parseRequestHeaders(frame);
    ASSERT_TRUE(headers) << std::hex << tpid;
    EXPECT_TRUE(headers->has_vlan);
    EXPECT_EQ(ntohs(headers->vlan_tpid), tpid);
    EXPECT_EQ(ntohs(headers->vlan_tci), 100);
    EXPECT_EQ(headers->payload_offset, 18u + 20 + 8);
  }
}

TEST(ParseRequestHeaders, Ipv6) {
  const auto frame = Pkt().eth().ipv6().udp(kPort).mcFrame(7).payload(kGet).build();
  const auto headers = parseRequestHeaders(frame);
  ASSERT_TRUE(headers);
  EXPECT_TRUE(headers->ipv6);
  EXPECT_EQ(headers->source_address[0], 0xfd);
  EXPECT_EQ(headers->source_address[15], 2);
  EXPECT_EQ(headers->destination_address[15], 1);
  EXPECT_EQ(headers->payload_offset, 14u + 40 + 8);
  EXPECT_EQ(headers->payload_length, 8 + kGet.size());
}

TEST(ParseRequestHeaders, EthernetPaddingIsNotPayload) {
  auto frame = Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload("x").build();
  frame.resize(64, 0);   // a NIC pads a short frame to the Ethernet minimum
  const auto headers = parseRequestHeaders(frame);
  ASSERT_TRUE(headers);
  EXPECT_EQ(headers->payload_length, 9u);
}

TEST(ParseRequestHeaders, RefusesWhatCannotBeAnswered) {
  struct Case {
    const char* name;
    std::vector<uint8_t> frame;
  };
  const Pkt good = Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet);
  const Pkt good6 = Pkt().eth().ipv6().udp(kPort).mcFrame(7).payload(kGet);
  std::vector<Case> cases = {
      {"empty", {}},
      {"cut in Ethernet", Pkt(good).truncate(10).build()},
      {"cut in the VLAN tag", Pkt().eth().vlan(5).ipv4().udp(kPort).payload(kGet).truncate(16).build()},
      {"ARP", Pkt().eth(0x0806).payload(std::string(28, '\0')).build()},
      {"cut in IPv4", Pkt(good).truncate(14 + 12).build()},
      {"cut in IPv4 options", Pkt().eth().ipv4().ipv4Options(4).udp(kPort).truncate(14 + 24).build()},
      {"IPv4 length beyond the frame", Pkt(good).lieIpLength(200).build()},
      {"IPv4 length below the header", Pkt(good).lieIpLength(12).build()},
      {"IPv4 first fragment", Pkt(good).fragment(0x2000).build()},
      {"IPv4 later fragment", Pkt(good).fragment(0x0010).build()},
      {"TCP", Pkt().eth().ipv4(IPPROTO_TCP).payload(std::string(20, '\0')).build()},
      {"cut in UDP", Pkt().eth().ipv4().udp(kPort).truncate(14 + 20 + 4).build()},
      {"UDP length beyond the IP payload", Pkt(good).lieUdpLength(100).build()},
      {"UDP length below its header", Pkt(good).lieUdpLength(7).build()},
      {"cut in IPv6", Pkt(good6).truncate(14 + 30).build()},
      {"IPv6 payload length beyond the frame", Pkt(good6).lieIpLength(300).build()},
      {"IPv6 extension header", Pkt().eth().ipv6(0).payload(std::string(16, '\0')).build()},
  };
  auto bad_checksum = good.build();
  bad_checksum[14 + 10] ^= 0x01;
  cases.push_back({"IPv4 header checksum wrong", bad_checksum});
  for (const Case& c : cases) {
    EXPECT_FALSE(parseRequestHeaders(c.frame)) << c.name << hexdump(c.frame);
  }
  auto wrong_version = good.build();
  wrong_version[14] = 0x65;
  EXPECT_FALSE(parseRequestHeaders(wrong_version)) << "IPv4 ethertype, version 6";
}

TEST(ParseRequestHeaders, RefusesGroupDestinations) {
  // A reply would have to come from the request's destination MAC and address.
  auto broadcast_mac = Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).build();
  std::fill_n(broadcast_mac.begin(), 6, 0xff);
  EXPECT_FALSE(parseRequestHeaders(broadcast_mac));
  auto multicast_mac = Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).build();
  multicast_mac[0] = 0x01;
  EXPECT_FALSE(parseRequestHeaders(multicast_mac));
  for (uint8_t first : {uint8_t{223}, uint8_t{224}, uint8_t{239}, uint8_t{255}}) {
    auto frame = Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).build();
    frame[14 + 16] = first;   // IPv4 destination 224.0.0.1, 239..., 255...
    setIpv4Checksum(frame, 14);
    EXPECT_EQ(parseRequestHeaders(frame).has_value(), first == 223) << int{first};
  }
  auto multicast6 = Pkt().eth().ipv6().udp(kPort).mcFrame(7).payload(kGet).build();
  multicast6[14 + 24] = 0xff;   // IPv6 destination ff..
  EXPECT_FALSE(parseRequestHeaders(multicast6));
}

// Expected frames: computed independently (a short Python script following
// RFC 768/1071), with the fields a Linux UDP socket sets on its replies:
// DF, TTL/hop limit 64, TOS 0, flow label 0 here.
TEST(ReplyHeaders, Ipv4KnownGoodFrame) {
  const auto request = Pkt().eth().ipv4().udp(kPort, 40000).mcFrame(7).payload(kGet).build();
  const auto reply = buildReply(request, kEnd);
  const auto expected = fromHex(
      "020000000002020000000001080045000029123440004011148e0a0000010a0000022bcb9c4000159052"
      "0007000000010000454e440d0a");
  EXPECT_EQ(reply, expected) << hexdump(reply);
  expectValidChecksums(reply, 14);
}

TEST(ReplyHeaders, VlanKnownGoodFrame) {
  const auto request = Pkt().eth().vlan(100).ipv4().udp(kPort, 40000).mcFrame(7).payload(kGet).build();
  const auto reply = buildReply(request, kEnd);
  const auto expected = fromHex(
      "02000000000202000000000181000064080045000029123440004011148e0a0000010a0000022bcb9c40"
      "00159052" "0007000000010000454e440d0a");
  EXPECT_EQ(reply, expected) << hexdump(reply);
  expectValidChecksums(reply, 18);
}

TEST(ReplyHeaders, Ipv6KnownGoodFrame) {
  const auto request = Pkt().eth().ipv6().udp(kPort, 40000).mcFrame(7).payload(kGet).build();
  const auto reply = buildReply(request, kEnd);
  const auto expected = fromHex(
      "02000000000202000000000186dd6000000000151140fd000000000000000000000000000001fd000000"
      "0000000000000000000000022bcb9c400015aa50" "0007000000010000454e440d0a");
  EXPECT_EQ(reply, expected) << hexdump(reply);
  expectValidChecksums(reply, 14);
}

TEST(ReplyHeaders, Ipv4OptionsAreNotEchoed) {
  const auto request = Pkt().eth().ipv4().ipv4Options(2).udp(kPort, 40000).mcFrame(7).payload(kGet).build();
  const auto reply = buildReply(request, kEnd);
  ASSERT_GT(reply.size(), 15u);
  EXPECT_EQ(reply[14], 0x45);
  // The same frame as for a request without options.
  const auto plain = buildReply(Pkt().eth().ipv4().udp(kPort, 40000).mcFrame(7).payload(kGet).build(), kEnd);
  EXPECT_EQ(reply, plain) << hexdump(reply);
}

TEST(ReplyHeaders, FullDatagramsOfOddAndEvenLength) {
  for (bool ipv6 : {false, true}) {
    for (size_t length : {size_t{9}, size_t{1399}, size_t{1400}}) {
      Pkt request = Pkt().eth().vlan(7);
      ipv6 ? request.ipv6() : request.ipv4();
      const auto frame = request.udp(kPort, 51234).mcFrame(9).payload(kGet).build();
      std::string payload(length, '\0');
      for (size_t i = 0; i < length; ++i) {
        payload[i] = static_cast<char>(i * 37 + 11);
      }
      const auto reply = buildReply(frame, payload, static_cast<uint16_t>(length));
      SCOPED_TRACE((ipv6 ? "IPv6 " : "IPv4 ") + std::to_string(length));
      expectValidChecksums(reply, 18);
      EXPECT_EQ(std::string(reply.end() - length, reply.end()), payload);
    }
  }
}

TEST(ReplyHeaders, ZeroChecksumIsSentAsAllOnes) {
  // Choose the last payload word so the UDP sum is all ones: the computed
  // checksum is then 0, which IPv4 reads as "none" and IPv6 forbids.
  for (bool ipv6 : {false, true}) {
    Pkt request = Pkt().eth();
    ipv6 ? request.ipv6() : request.ipv4();
    const auto frame = request.udp(kPort, 40000).mcFrame(7).payload(kGet).build();
    std::string payload = kEnd + "x";   // 14 bytes: the last word is bytes 12-13
    payload[12] = payload[13] = 0;
    auto probe = buildReply(frame, payload);
    const size_t udp = probe.size() - payload.size() - 8;
    const uint16_t checksum = static_cast<uint16_t>((probe[udp + 6] << 8) | probe[udp + 7]);
    payload[12] = static_cast<char>(checksum >> 8);
    payload[13] = static_cast<char>(checksum & 0xff);
    const auto reply = buildReply(frame, payload);
    EXPECT_EQ(reply[udp + 6], 0xff) << (ipv6 ? "IPv6" : "IPv4") << hexdump(reply);
    EXPECT_EQ(reply[udp + 7], 0xff);
    expectValidChecksums(reply, 14);
  }
}

TEST(ReplyHeaders, SizeCoversEveryHeader) {
  EXPECT_EQ(ReplyHeaders(*parseRequestHeaders(Pkt().eth().ipv4().udp(kPort).mcFrame(1).payload(kGet).build())).size(), 42u);
  EXPECT_EQ(ReplyHeaders(*parseRequestHeaders(Pkt().eth().vlan(1).ipv6().udp(kPort).mcFrame(1).payload(kGet).build())).size(),
            ReplyHeaders::kMaxSize);
}

}  // namespace
}  // namespace unbuckle::afxdp
