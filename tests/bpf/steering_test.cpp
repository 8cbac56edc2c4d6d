// The XDP steering program under BPF_PROG_TEST_RUN: one hand-made packet per
// case, asserting the verdict, the counter it bumps, and that the frame
// leaves untouched. With no AF_XDP socket in the XSKMAP, memcached UDP takes
// the XDP_PASS fallback, so the counter is what proves it was steered.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <random>
#include <memory>
#include <string>
#include <vector>

#include "packet_builder.h"
#include "unbuckle/bpf_abi.h"
#include "unbuckle_bpf.skel.h"
#include "xdp/xdp_attachment.h"
#include "xdp_counter.h"

namespace unbuckle::testing {
namespace {

constexpr uint16_t kPort = 11211;

struct SkeletonDeleter {
  void operator()(unbuckle_bpf* skel) const { unbuckle_bpf::destroy(skel); }
};

class SteeringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "BPF_PROG_TEST_RUN needs root (CAP_BPF)";
    skel_.reset(unbuckle_bpf::open());
    ASSERT_TRUE(skel_) << "opening the skeleton failed";
    skel_->rodata->cfg_port = kPort;
    ASSERT_EQ(unbuckle_bpf::load(skel_.get()), 0) << "the verifier rejected unbuckle.bpf.o";
    // The test packets come from 10.0.0.2 and fd00::2.
    unbuckle_allow4_key v4{8, {10}};
    unbuckle_allow6_key v6{8, {0xfd}};
    uint8_t one = 1;
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.unbuckle_allow4, &v4, sizeof(v4), &one, 1, 0), 0);
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.unbuckle_allow6, &v6, sizeof(v6), &one, 1, 0), 0);
  }

  uint64_t counter(int index) { return xdpCounter(skel_->maps.unbuckle_counters, index); }

  // Runs the program once; returns the verdict and fills `out`.
  // (The kernel refuses frames under 14 bytes and queue indices the test
  // device lacks, so runts and queue selection are integration tests.)
  int run(const std::vector<uint8_t>& in, std::vector<uint8_t>& out) {
    out.assign(in.size() + 256, 0);
    xdp_md ctx{};
    ctx.data_end = static_cast<uint32_t>(in.size());
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = out.data(),
                .data_size_in = static_cast<uint32_t>(in.size()),
                .data_size_out = static_cast<uint32_t>(out.size()), .ctx_in = &ctx,
                .ctx_size_in = sizeof(ctx), .repeat = 1);
    int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.unbuckle_xdp), &opts);
    EXPECT_EQ(err, 0) << "bpf_prog_test_run_opts failed";
    out.resize(opts.data_size_out);
    return static_cast<int>(opts.retval);
  }

  std::unique_ptr<unbuckle_bpf, SkeletonDeleter> skel_;
};

struct Case {
  std::string name;
  Pkt packet;
  int verdict;
  int counter;
};

const std::string kGet = "get k\r\n";

std::vector<Case> cases() {
  return {
      {"ipv4_memcached_get", Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet), XDP_PASS,
       UNBUCKLE_XDP_redirect_no_socket},
      {"ipv4_with_options", Pkt().eth().ipv4().ipv4Options(3).udp(kPort).mcFrame(7).payload(kGet),
       XDP_PASS, UNBUCKLE_XDP_redirect_no_socket},
      {"vlan_8021q", Pkt().eth().vlan(42).ipv4().udp(kPort).mcFrame(7).payload(kGet), XDP_PASS,
       UNBUCKLE_XDP_redirect_no_socket},
      {"vlan_8021ad", Pkt().eth().vlan(42, ETH_P_8021AD).ipv4().udp(kPort).mcFrame(7).payload(kGet),
       XDP_PASS, UNBUCKLE_XDP_redirect_no_socket},
      {"ipv6_memcached_get", Pkt().eth().ipv6().udp(kPort).mcFrame(7).payload(kGet), XDP_PASS,
       UNBUCKLE_XDP_redirect_no_socket},
      {"ipv6_hop_by_hop", Pkt().eth().ipv6(IPPROTO_HOPOPTS).udp(kPort).mcFrame(7).payload(kGet),
       XDP_PASS, UNBUCKLE_XDP_pass_ipv6_ext},
      {"arp", Pkt().eth(ETH_P_ARP).payload(std::string(28, '\0')), XDP_PASS,
       UNBUCKLE_XDP_pass_not_ip},
      {"vlan_cut_short", Pkt().eth().vlan(1).truncate(16), XDP_PASS,
       UNBUCKLE_XDP_pass_truncated_l2},
      {"tcp_to_port", Pkt().eth().ipv4(IPPROTO_TCP).payload(std::string(20, '\0')), XDP_PASS,
       UNBUCKLE_XDP_pass_not_udp},
      {"ipv6_icmp", Pkt().eth().ipv6(IPPROTO_ICMPV6).payload(std::string(8, '\0')), XDP_PASS,
       UNBUCKLE_XDP_pass_not_udp},
      {"udp_other_port", Pkt().eth().ipv4().udp(53).payload("dns"), XDP_PASS,
       UNBUCKLE_XDP_pass_other_port},
      {"ipv4_fragment_first", Pkt().eth().ipv4().fragment(0x2000).udp(kPort).mcFrame(7).payload(kGet),
       XDP_PASS, UNBUCKLE_XDP_pass_ip_fragment},
      {"ipv4_fragment_later", Pkt().eth().ipv4().fragment(0x0010).payload(std::string(32, 'x')),
       XDP_PASS, UNBUCKLE_XDP_pass_ip_fragment},
      {"ipv4_header_cut", Pkt().eth().ipv4().udp(kPort).truncate(14 + 12), XDP_DROP,
       UNBUCKLE_XDP_drop_bad_ip_length},
      {"ipv4_total_length_too_long", Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).lieIpLength(1400),
       XDP_DROP, UNBUCKLE_XDP_drop_bad_ip_length},
      {"ipv4_total_length_below_header", Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).lieIpLength(12),
       XDP_DROP, UNBUCKLE_XDP_drop_bad_ip_length},
      {"ipv6_payload_length_too_long", Pkt().eth().ipv6().udp(kPort).mcFrame(7).payload(kGet).lieIpLength(900),
       XDP_DROP, UNBUCKLE_XDP_drop_bad_ip_length},
      {"udp_length_too_long", Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).lieUdpLength(500),
       XDP_DROP, UNBUCKLE_XDP_drop_bad_udp_length},
      {"udp_length_below_header", Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).lieUdpLength(4),
       XDP_DROP, UNBUCKLE_XDP_drop_bad_udp_length},
      {"udp_header_cut", Pkt().eth().ipv4().lieIpLength(24).udp(kPort).truncate(14 + 20 + 4), XDP_DROP,
       UNBUCKLE_XDP_drop_bad_udp_length},
      {"memcached_header_only", Pkt().eth().ipv4().udp(kPort).mcFrame(7), XDP_DROP,
       UNBUCKLE_XDP_drop_short_frame},
      {"memcached_five_bytes", Pkt().eth().ipv4().udp(kPort).payload("\x00\x01\x00\x00\x00"), XDP_DROP,
       UNBUCKLE_XDP_drop_short_frame},
      {"memcached_total_two", Pkt().eth().ipv4().udp(kPort).mcFrame(7, 0, 2).payload(kGet), XDP_DROP,
       UNBUCKLE_XDP_drop_multi_datagram},
      {"memcached_total_zero", Pkt().eth().ipv4().udp(kPort).mcFrame(7, 0, 0).payload(kGet), XDP_DROP,
       UNBUCKLE_XDP_drop_multi_datagram},
      {"memcached_seq_ignored", Pkt().eth().ipv4().udp(kPort).mcFrame(7, 1, 1).payload(kGet), XDP_PASS,
       UNBUCKLE_XDP_redirect_no_socket},
      {"ethernet_padding_after_ip", Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).lieIpLength(20 + 8 + 8 + 7).lieUdpLength(8 + 8 + 7),
       XDP_PASS, UNBUCKLE_XDP_redirect_no_socket},
  };
}

// `tags` more VLAN tags (802.1ad) in front of the frame's own.
std::vector<uint8_t> stacked(std::vector<uint8_t> frame, int tags) {
  for (int i = 0; i < tags; ++i) frame.insert(frame.begin() + 12, {0x88, 0xa8, 0x00, 0x05});
  return frame;
}

std::vector<uint8_t> withIhl(std::vector<uint8_t> frame, uint8_t ihl) {
  frame[14] = static_cast<uint8_t>(0x40 | ihl);
  return frame;
}

// Hostile packets: each with the verdict and the one counter it gets.
// The UDP checksum is not verified in XDP (nor by AF_XDP, which skips the
// kernel's UDP layer): a request with a wrong one is steered like any
// other, and the daemon answers it as memcached would not (the kernel
// would have dropped it); a lying IP length is caught here instead.
std::vector<Case> hostileCases() {
  const Pkt v4 = Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet);
  const Pkt v6 = Pkt().eth().ipv6().udp(kPort).mcFrame(7).payload(kGet);
  std::vector<Case> cases = {
      {"ip_total_length_longer_than_frame", Pkt(v4).lieIpLength(200), XDP_DROP, UNBUCKLE_XDP_drop_bad_ip_length},
      {"ip_total_length_shorter_than_udp", Pkt(v4).lieIpLength(20 + 8 + 4), XDP_DROP,
       UNBUCKLE_XDP_drop_bad_udp_length},
      {"udp_length_zero", Pkt(v4).lieUdpLength(0), XDP_DROP, UNBUCKLE_XDP_drop_bad_udp_length},
      {"udp_length_seven", Pkt(v6).lieUdpLength(7), XDP_DROP, UNBUCKLE_XDP_drop_bad_udp_length},
      {"udp_empty_payload", Pkt().eth().ipv4().udp(kPort), XDP_DROP, UNBUCKLE_XDP_drop_short_frame},
      {"ipv6_routing_header", Pkt().eth().ipv6(IPPROTO_ROUTING).payload(std::string(24, '\0')), XDP_PASS,
       UNBUCKLE_XDP_pass_ipv6_ext},
      {"ipv6_fragment_header", Pkt().eth().ipv6(IPPROTO_FRAGMENT).payload(std::string(24, '\0')), XDP_PASS,
       UNBUCKLE_XDP_pass_ipv6_ext},
      {"ipv6_dstopts_header", Pkt().eth().ipv6(IPPROTO_DSTOPTS).payload(std::string(24, '\0')), XDP_PASS,
       UNBUCKLE_XDP_pass_ipv6_ext},
  };
  // Cut at every header boundary (and inside the UDP header): the lengths
  // the headers claim run past the frame.
  for (const size_t cut : {14, 20, 34, 38, 42, 46}) {
    cases.push_back({"ipv4_cut_at_" + std::to_string(cut), Pkt(v4).truncate(cut), XDP_DROP,
                     UNBUCKLE_XDP_drop_bad_ip_length});
  }
  for (const size_t cut : {14, 40, 54, 58, 62, 66}) {
    cases.push_back({"ipv6_cut_at_" + std::to_string(cut), Pkt(v6).truncate(cut), XDP_DROP,
                     UNBUCKLE_XDP_drop_bad_ip_length});
  }
  return cases;
}

// Raw frames the builder cannot describe: stacked tags, IHL below 5.
struct RawCase {
  std::string name;
  std::vector<uint8_t> frame;
  int verdict;
  int counter;
};

std::vector<RawCase> rawHostileCases() {
  const std::vector<uint8_t> tagged = Pkt().eth().vlan(42).ipv4().udp(kPort).mcFrame(7).payload(kGet).build();
  const std::vector<uint8_t> v4 = Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).build();
  return {
      // One tag is parsed; behind a second the EtherType is a tag again.
      {"qinq", stacked(tagged, 1), XDP_PASS, UNBUCKLE_XDP_pass_not_ip},
      {"three_tags", stacked(tagged, 2), XDP_PASS, UNBUCKLE_XDP_pass_not_ip},
      {"ihl_0", withIhl(v4, 0), XDP_DROP, UNBUCKLE_XDP_drop_bad_ip_length},
      {"ihl_4", withIhl(v4, 4), XDP_DROP, UNBUCKLE_XDP_drop_bad_ip_length},
      // IHL 15 claims a 60-byte header, longer than this frame holds.
      {"ihl_15", withIhl(v4, 15), XDP_DROP, UNBUCKLE_XDP_drop_bad_ip_length},
  };
}

// IPv6 extension headers the builder does not make, ending in a UDP header
// to `dport` and a memcached get.
std::string optionsHeader(uint8_t next) {
  return std::string{static_cast<char>(next), 0} + std::string(6, '\0');   // Pad1 options
}
std::string fragmentHeader(uint8_t next, uint16_t frag_off) {
  const uint16_t off = htons(frag_off);
  return std::string{static_cast<char>(next), 0} + std::string(reinterpret_cast<const char*>(&off), 2) +
         std::string("\0\0\0\x2a", 4);
}
std::string udpGet(uint16_t dport) {
  const std::string request = std::string("\0\x07\0\0\0\x01\0\0", 8) + kGet;
  const uint16_t fields[4] = {htons(40000), htons(dport), htons(static_cast<uint16_t>(8 + request.size())), 0};
  return std::string(reinterpret_cast<const char*>(fields), sizeof(fields)) + request;
}

// A fragment or an IPv6 chain that shows UDP to the port from a denied
// source is dropped in XDP; what shows no port, another port or an allowed
// source passes to the kernel as before.
std::vector<Case> deniedBehindFragmentsAndExtensions() {
  const std::array<uint8_t, 6> mac = {0x02, 0, 0, 0, 0, 0x09};
  const std::array<uint8_t, 4> denied4 = {192, 0, 2, 2};
  const std::array<uint8_t, 16> denied6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  const std::string later = std::string(32, 'x');
  return {
      {"ipv4_first_fragment_denied", Pkt().eth().ipv4().from(mac, denied4).fragment(0x2000).udp(kPort).mcFrame(7).payload(kGet),
       XDP_DROP, UNBUCKLE_XDP_drop_denied},
      {"ipv4_first_fragment_denied_other_port", Pkt().eth().ipv4().from(mac, denied4).fragment(0x2000).udp(53).payload("dns"),
       XDP_PASS, UNBUCKLE_XDP_pass_ip_fragment},
      {"ipv4_later_fragment_denied", Pkt().eth().ipv4().from(mac, denied4).fragment(0x0010).payload(later), XDP_PASS,
       UNBUCKLE_XDP_pass_ip_fragment},
      {"ipv6_hop_by_hop_udp_allowed", Pkt().eth().ipv6(IPPROTO_HOPOPTS).payload(optionsHeader(IPPROTO_UDP) + udpGet(kPort)),
       XDP_PASS, UNBUCKLE_XDP_pass_ipv6_ext},
      {"ipv6_hop_by_hop_udp_denied",
       Pkt().eth().ipv6(IPPROTO_HOPOPTS).from6(denied6).payload(optionsHeader(IPPROTO_UDP) + udpGet(kPort)), XDP_DROP,
       UNBUCKLE_XDP_drop_denied},
      {"ipv6_hop_by_hop_other_port_denied",
       Pkt().eth().ipv6(IPPROTO_HOPOPTS).from6(denied6).payload(optionsHeader(IPPROTO_UDP) + udpGet(53)), XDP_PASS,
       UNBUCKLE_XDP_pass_ipv6_ext},
      {"ipv6_first_fragment_denied",
       Pkt().eth().ipv6(IPPROTO_FRAGMENT).from6(denied6).payload(fragmentHeader(IPPROTO_UDP, 0x0001) + udpGet(kPort)),
       XDP_DROP, UNBUCKLE_XDP_drop_denied},
      {"ipv6_later_fragment_denied",
       Pkt().eth().ipv6(IPPROTO_FRAGMENT).from6(denied6).payload(fragmentHeader(IPPROTO_UDP, 0x0008) + later), XDP_PASS,
       UNBUCKLE_XDP_pass_ipv6_ext},
      {"ipv6_four_headers_denied",
       Pkt().eth().ipv6(IPPROTO_HOPOPTS).from6(denied6).payload(
           optionsHeader(IPPROTO_DSTOPTS) + optionsHeader(IPPROTO_ROUTING) + optionsHeader(IPPROTO_FRAGMENT) +
           fragmentHeader(IPPROTO_UDP, 0) + udpGet(kPort)),
       XDP_DROP, UNBUCKLE_XDP_drop_denied},
      // Past the walk's four headers the chain is left to the kernel (and
      // the workers' check of the source).
      {"ipv6_five_headers_denied",
       Pkt().eth().ipv6(IPPROTO_HOPOPTS).from6(denied6).payload(
           optionsHeader(IPPROTO_DSTOPTS) + optionsHeader(IPPROTO_DSTOPTS) + optionsHeader(IPPROTO_ROUTING) +
           optionsHeader(IPPROTO_DSTOPTS) + optionsHeader(IPPROTO_UDP) + udpGet(kPort)),
       XDP_PASS, UNBUCKLE_XDP_pass_ipv6_ext},
      {"ipv6_mobility_header_denied",
       Pkt().eth().ipv6(IPPROTO_MH).from6(denied6).payload(optionsHeader(IPPROTO_UDP) + udpGet(kPort)), XDP_PASS,
       UNBUCKLE_XDP_pass_ipv6_ext},
  };
}

TEST_F(SteeringTest, HostilePacketsGetTheirVerdictAndOneCounter) {
  std::vector<RawCase> all = rawHostileCases();
  for (const Case& c : hostileCases()) all.push_back({c.name, c.packet.build(), c.verdict, c.counter});
  for (const Case& c : deniedBehindFragmentsAndExtensions()) {
    all.push_back({c.name, c.packet.build(), c.verdict, c.counter});
  }
  std::vector<uint8_t> bad_checksum = Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).build();
  bad_checksum[14 + 20 + 6] = 0xde;   // UDP checksum: not verified in XDP
  bad_checksum[14 + 20 + 7] = 0xad;
  all.push_back({"bad_udp_checksum", bad_checksum, XDP_PASS, UNBUCKLE_XDP_redirect_no_socket});
  for (const RawCase& c : all) {
    SCOPED_TRACE(c.name);
    std::array<uint64_t, UNBUCKLE_XDP_COUNTER_MAX> before{};
    for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) before[i] = counter(i);
    std::vector<uint8_t> out;
    EXPECT_EQ(run(c.frame, out), c.verdict) << hexdump(c.frame);
    for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) {
      EXPECT_EQ(counter(i) - before[i], i == c.counter ? 1u : 0u) << "counter " << xdp::XdpAttachment::counterName(i);
    }
  }
}

TEST_F(SteeringTest, EveryHeaderShapeGetsItsVerdictAndCounter) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    std::array<uint64_t, UNBUCKLE_XDP_COUNTER_MAX> before{};
    for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) before[i] = counter(i);
    std::vector<uint8_t> in = c.packet.build(), out;
    EXPECT_EQ(run(in, out), c.verdict) << hexdump(in);
    for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) {
      EXPECT_EQ(counter(i) - before[i], i == c.counter ? 1u : 0u) << "counter " << xdp::XdpAttachment::counterName(i);
    }
    if (c.verdict == XDP_PASS) {
      EXPECT_EQ(out, in) << "frame changed:" << hexdump(out);
    }
  }
}

// A memcached UDP set whose Ethernet frame is `frame_bytes` long.
std::vector<uint8_t> setOfFrameLength(size_t frame_bytes, bool ipv6) {
  const size_t headers = 14 + (ipv6 ? 40 : 20) + 8 + 8;
  const std::string command = "set k 0 0 ";
  const size_t room = frame_bytes - headers - command.size() - 2 - 2;   // 2 CRLFs
  size_t digits = 1;
  while (std::to_string(room - digits).size() != digits) ++digits;
  const size_t value = room - digits;
  Pkt packet = Pkt().eth();
  ipv6 ? packet.ipv6() : packet.ipv4();
  std::vector<uint8_t> bytes =
      packet.udp(kPort).mcFrame(7).payload(command + std::to_string(value) + "\r\n" + std::string(value, 'v') + "\r\n").build();
  EXPECT_EQ(bytes.size(), frame_bytes);
  return bytes;
}

TEST_F(SteeringTest, TheFrameRoomIsThatOfTheUmemFrames) {
  EXPECT_EQ(UNBUCKLE_XSK_RX_ROOM, 4096 - 256);
  EXPECT_EQ(skel_->rodata->cfg_xsk_rx_room, UNBUCKLE_XSK_RX_ROOM);
}

// A request that fills the AF_XDP frame is steered; one byte more and the
// kernel would drop it on its way into the socket's frame, so it goes to the
// kernel's UDP socket instead. BPF_PROG_TEST_RUN gives frames this long to
// the program in several buffers, as a veth or NIC with a jumbo MTU does.
TEST_F(SteeringTest, ARequestLongerThanAnAfXdpFrameHoldsIsPassed) {
  for (const bool ipv6 : {false, true}) {
    SCOPED_TRACE(ipv6 ? "IPv6" : "IPv4");
    for (const size_t length : {size_t{UNBUCKLE_XSK_RX_ROOM} - 1, size_t{UNBUCKLE_XSK_RX_ROOM},
                                size_t{UNBUCKLE_XSK_RX_ROOM} + 1, size_t{9014}}) {
      SCOPED_TRACE(length);
      const int expected = length > UNBUCKLE_XSK_RX_ROOM ? UNBUCKLE_XDP_pass_oversize : UNBUCKLE_XDP_redirect_no_socket;
      std::array<uint64_t, UNBUCKLE_XDP_COUNTER_MAX> before{};
      for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) before[i] = counter(i);
      std::vector<uint8_t> in = setOfFrameLength(length, ipv6), out;
      EXPECT_EQ(run(in, out), XDP_PASS);
      for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) {
        EXPECT_EQ(counter(i) - before[i], i == expected ? 1u : 0u) << "counter " << xdp::XdpAttachment::counterName(i);
      }
      EXPECT_EQ(out, in) << "frame changed";
    }
  }
}

// The lengths in the IP header are checked against the whole frame, not
// its first buffer.
TEST_F(SteeringTest, AMultiBufferFrameWhoseIpLengthOverrunsItIsDropped) {
  for (const bool ipv6 : {false, true}) {
    SCOPED_TRACE(ipv6 ? "IPv6" : "IPv4");
    std::vector<uint8_t> in = setOfFrameLength(UNBUCKLE_XSK_RX_ROOM + 100, ipv6), out;
    in.resize(in.size() - 1);
    const uint64_t before = counter(UNBUCKLE_XDP_drop_bad_ip_length);
    EXPECT_EQ(run(in, out), XDP_DROP);
    EXPECT_EQ(counter(UNBUCKLE_XDP_drop_bad_ip_length) - before, 1u);
  }
}

TEST_F(SteeringTest, PortComesFromRodata) {
  std::vector<uint8_t> in = Pkt().eth().ipv4().udp(11212).mcFrame(1).payload(kGet).build(), out;
  uint64_t before = counter(UNBUCKLE_XDP_pass_other_port);
  EXPECT_EQ(run(in, out), XDP_PASS);
  EXPECT_EQ(counter(UNBUCKLE_XDP_pass_other_port) - before, 1u);
}

// Seeded random frames and mutations of valid requests (bytes flipped,
// frames cut, IP and UDP lengths rewritten): every verdict is XDP_PASS or
// XDP_DROP (no socket: a redirect falls back to XDP_PASS), and with the
// kernel cache off each packet bumps exactly one counter, so the counters
// add up to the packets run. (With the kernel cache on, a packet reaching
// it counts twice: its kc_* outcome and redirect, or kc_hit and
// kc_hit_bytes.)
TEST_F(SteeringTest, RandomAndMutatedPacketsGetOnlyTheSpecifiedVerdictsAndAreCountedOnce) {
  constexpr int kPackets = 20000;
  std::mt19937 random(12);
  const std::vector<std::vector<uint8_t>> seeds = {
      Pkt().eth().ipv4().udp(kPort).mcFrame(7).payload(kGet).build(),
      Pkt().eth().ipv6().udp(kPort).mcFrame(7).payload(kGet).build(),
      Pkt().eth().vlan(42).ipv4().ipv4Options(2).udp(kPort).mcFrame(7).payload("get a b c\r\n").build(),
      Pkt().eth().vlan(42, ETH_P_8021AD).ipv6().udp(kPort).mcFrame(7).payload(kGet).build(),
      Pkt().eth().ipv4().fragment(0x2000).udp(kPort).mcFrame(7).payload(kGet).build(),
  };
  std::array<uint64_t, UNBUCKLE_XDP_COUNTER_MAX> before{};
  for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) before[i] = counter(i);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<uint8_t> out;
  int run_count = 0;
  for (; run_count < kPackets && std::chrono::steady_clock::now() < deadline; ++run_count) {
    std::vector<uint8_t> in;
    if (random() % 4 == 0) {   // random bytes, often behind an IP EtherType
      in.resize(14 + random() % 120);
      for (uint8_t& byte : in) byte = static_cast<uint8_t>(random());
      if (random() % 2) {
        in[12] = random() % 2 ? 0x08 : 0x86;
        in[13] = in[12] == 0x08 ? 0x00 : 0xdd;
      }
    } else {
      in = seeds[random() % seeds.size()];
      const size_t l3 = in[12] == 0x81 || in[12] == 0x88 ? 18 : 14;
      switch (random() % 4) {
        case 0:
          for (int flips = 1 + random() % 4; flips > 0; --flips) in[random() % in.size()] ^= 1 << (random() % 8);
          break;
        case 1:
          in.resize(14 + random() % (in.size() - 13));
          break;
        case 2:   // IPv4 total length or IPv6 payload length
          in[l3 + ((in[l3] >> 4) == 6 ? 4 : 2)] = static_cast<uint8_t>(random());
          in[l3 + ((in[l3] >> 4) == 6 ? 5 : 3)] = static_cast<uint8_t>(random());
          break;
        default: {   // UDP length, wherever the UDP header is
          const size_t udp = l3 + ((in[l3] >> 4) == 6 ? 40 : (in[l3] & 0xf) * 4);
          if (udp + 6 <= in.size()) {
            in[udp + 4] = static_cast<uint8_t>(random() % 2 ? 0 : random());
            in[udp + 5] = static_cast<uint8_t>(random());
          }
        }
      }
    }
    const int verdict = run(in, out);
    ASSERT_TRUE(verdict == XDP_PASS || verdict == XDP_DROP) << "verdict " << verdict << hexdump(in);
  }
  EXPECT_EQ(run_count, kPackets) << "the time bound cut the run short";
  uint64_t counted = 0;
  for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) counted += counter(i) - before[i];
  EXPECT_EQ(counted, static_cast<uint64_t>(run_count));
}

}  // namespace
}  // namespace unbuckle::testing
