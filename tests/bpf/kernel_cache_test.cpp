// The kernel cache's XDP side under BPF_PROG_TEST_RUN: slots seeded through
// the skeleton's maps, a hit answered with XDP_TX by exactly the frame the
// AF_XDP path builds for the same request (daemon/afxdp/packet_headers.cpp),
// every other case left to the steering code untouched, with its counter.
// The program answers only on a queue with an AF_XDP socket: each test has
// one (bound to lo in a network namespace of its own), so steering ends in
// XDP_REDIRECT; without it, in XDP_PASS.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "afxdp/packet_headers.h"
#include "bound_xsk.h"
#include "kernel_cache_writer.h"
#include "packet_builder.h"
#include "unbuckle/bpf_abi.h"
#include "unbuckle/mc_udp.h"
#include "unbuckle/mc_udp_frame.h"
#include "unbuckle_bpf.skel.h"
#include "xdp/xdp_attachment.h"
#include "xdp_counter.h"

namespace unbuckle::testing {
namespace {

constexpr uint16_t kPort = 11211;
constexpr uint16_t kRequestId = 0x1234;
constexpr uint32_t kSlots = 64;   // 16 sets of 4 ways
constexpr uint32_t kSetMask = kSlots / UNBUCKLE_KC_WAYS - 1;

struct SkeletonDeleter {
  void operator()(unbuckle_bpf* skel) const { unbuckle_bpf::destroy(skel); }
};

// What the daemon answers a GET hit with.
std::string getReply(const std::string& key, const std::string& value) {
  return "VALUE " + key + " 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nEND\r\n";
}

uint64_t monotonicNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000u + static_cast<uint64_t>(now.tv_nsec);
}

// Pkt's default IPv6 source.
constexpr std::array<uint8_t, 16> kSource6 = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

Pkt getRequest(const std::string& line, bool ipv6 = false) {
  Pkt packet = Pkt().eth();
  ipv6 ? packet.ipv6() : packet.ipv4();
  return packet.udp(kPort).mcFrame(kRequestId).payload(line);
}

// The frame the AF_XDP worker sends for `request` answered with `reply`.
std::vector<uint8_t> afxdpReply(const std::vector<uint8_t>& request, const std::string& reply,
                                uint16_t ip_id) {
  const std::optional<afxdp::RequestHeaders> parsed = afxdp::parseRequestHeaders(request);
  EXPECT_TRUE(parsed) << "the AF_XDP path would drop this request";
  if (!parsed) return {};
  const FrameHeader header =
      readFrameHeader(reinterpret_cast<const char*>(request.data() + parsed->payload_offset));
  const afxdp::ReplyHeaders headers(*parsed);
  std::vector<uint8_t> frame(headers.size() + MC_UDP_HEADER_SIZE + reply.size());
  writeFrameHeader({header.request_id, 0, 1, 0}, reinterpret_cast<char*>(frame.data() + headers.size()));
  std::memcpy(frame.data() + headers.size() + MC_UDP_HEADER_SIZE, reply.data(), reply.size());
  headers.write(frame.data(), MC_UDP_HEADER_SIZE + reply.size(), ip_id);
  return frame;
}

// The IPv4 identification of a reply frame (0 for IPv6).
uint16_t ipId(const std::vector<uint8_t>& frame) {
  size_t l3 = 14;
  if (frame.size() > 18 && ((frame[12] == 0x81 && frame[13] == 0x00) || (frame[12] == 0x88 && frame[13] == 0xa8))) l3 = 18;
  if (frame.size() < l3 + 6 || frame[l3] >> 4 != 4) return 0;
  return static_cast<uint16_t>(frame[l3 + 4] << 8 | frame[l3 + 5]);
}

class KernelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "BPF_PROG_TEST_RUN needs root (CAP_BPF)";
    // IPv4 identifications come from a per-CPU counter: stay on one CPU.
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    ASSERT_EQ(sched_setaffinity(0, sizeof(cpus), &cpus), 0);
    // A loopback of our own: its queue 0 is free for the socket.
    ASSERT_EQ(unshare(CLONE_NEWNET), 0);
    load(1);
  }

  void load(uint8_t kernel_cache, uint64_t reply_rate = UNBUCKLE_REPLY_RATE_DEFAULT,
            uint64_t reply_burst = UNBUCKLE_REPLY_BURST_DEFAULT) {
    skel_.reset(unbuckle_bpf::open());
    ASSERT_TRUE(skel_) << "opening the skeleton failed";
    skel_->rodata->cfg_port = kPort;
    skel_->rodata->cfg_kernel_cache = kernel_cache;
    skel_->rodata->cfg_kc_set_mask = kSetMask;
    skel_->rodata->cfg_reply_rate = reply_rate;
    skel_->rodata->cfg_reply_burst = reply_burst;
    ASSERT_EQ(bpf_map__set_max_entries(skel_->maps.unbuckle_kc_slots, kSlots), 0);
    ASSERT_EQ(bpf_map__set_max_entries(skel_->maps.unbuckle_kc_hits, kSlots), 0);
    ASSERT_EQ(unbuckle_bpf::load(skel_.get()), 0) << "the verifier rejected unbuckle.bpf.o";
    allow4(0, {0, 0, 0, 0});
    allow6(0);
    const int xsks = bpf_map__fd(skel_->maps.unbuckle_xsks);
    const std::string error = xsk_.isOpen() ? xsk_.insertInto(xsks) : xsk_.open("lo", 0, xsks);
    ASSERT_EQ(error, "");
  }

  void allow4(uint32_t prefixlen, std::array<uint8_t, 4> addr) {
    unbuckle_allow4_key key{prefixlen, {}};
    std::memcpy(key.addr, addr.data(), 4);
    uint8_t one = 1;
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.unbuckle_allow4, &key, sizeof(key), &one, 1, 0), 0);
  }

  void allow6(uint32_t prefixlen) {
    unbuckle_allow6_key key{prefixlen, {}};
    uint8_t one = 1;
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.unbuckle_allow6, &key, sizeof(key), &one, 1, 0), 0);
  }

  void disallow4(uint32_t prefixlen, std::array<uint8_t, 4> addr) {
    unbuckle_allow4_key key{prefixlen, {}};
    std::memcpy(key.addr, addr.data(), 4);
    ASSERT_EQ(bpf_map__delete_elem(skel_->maps.unbuckle_allow4, &key, sizeof(key), 0), 0);
  }

  static uint32_t setOf(const std::string& key) { return static_cast<uint32_t>(kcHash(key) & kSetMask); }

  void put(uint32_t index, const unbuckle_kc_slot& slot) {
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.unbuckle_kc_slots, &index, sizeof(index), &slot, sizeof(slot), 0), 0);
  }

  // Puts `slot` in way `way` of its key's set; returns the slot index.
  uint32_t store(const std::string& key, const unbuckle_kc_slot& slot, uint32_t way = 0) {
    const uint32_t index = setOf(key) * UNBUCKLE_KC_WAYS + way;
    put(index, slot);
    return index;
  }

  void setGeneration(uint32_t generation, uint32_t paused = 0) {
    uint32_t zero = 0;
    unbuckle_kc_state state{generation, paused};
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.unbuckle_kc_state, &zero, sizeof(zero), &state, sizeof(state), 0), 0);
  }

  unbuckle_kc_hit hitRecord(uint32_t index) {
    unbuckle_kc_hit hit{};
    EXPECT_EQ(bpf_map__lookup_elem(skel_->maps.unbuckle_kc_hits, &index, sizeof(index), &hit, sizeof(hit), 0), 0);
    return hit;
  }

  uint64_t counter(int index) { return xdpCounter(skel_->maps.unbuckle_counters, index); }

  // The reply budget's key of a test packet's source: 10.0.0.2 as
  // ::ffff:10.0.0.2, or fd00::2.
  static unbuckle_reply_source budgetKey(bool ipv6) {
    if (ipv6) return budgetKey6(kSource6);
    return budgetKey6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2});
  }

  static unbuckle_reply_source budgetKey6(const std::array<uint8_t, 16>& address) {
    unbuckle_reply_source source{};
    std::memcpy(source.addr, address.data(), sizeof(source.addr));
    return source;
  }

  void setBucket(bool ipv6, int64_t tokens, uint64_t last_ns) {
    const unbuckle_reply_source key = budgetKey(ipv6);
    const unbuckle_reply_bucket bucket{tokens, last_ns};
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.unbuckle_kc_budget, &key, sizeof(key), &bucket, sizeof(bucket), 0), 0);
  }

  // The source's bucket; false if it has none.
  bool bucket(bool ipv6, unbuckle_reply_bucket& out) { return bucket(budgetKey(ipv6), out); }

  bool bucket(const unbuckle_reply_source& key, unbuckle_reply_bucket& out) {
    return bpf_map__lookup_elem(skel_->maps.unbuckle_kc_budget, &key, sizeof(key), &out, sizeof(out), 0) == 0;
  }

  std::array<uint64_t, UNBUCKLE_XDP_COUNTER_MAX> counters() {
    std::array<uint64_t, UNBUCKLE_XDP_COUNTER_MAX> all{};
    for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) all[i] = counter(i);
    return all;
  }

  int run(const std::vector<uint8_t>& in, std::vector<uint8_t>& out) {
    out.assign(in.size() + 4096, 0);
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

  // Runs `in`, which must be answered with `reply`, byte for byte as AF_XDP would.
  void expectHit(const std::vector<uint8_t>& in, const std::string& reply) {
    const auto before = counters();
    std::vector<uint8_t> out;
    ASSERT_EQ(run(in, out), XDP_TX) << hexdump(in);
    EXPECT_EQ(out, afxdpReply(in, reply, ipId(out))) << "XDP:" << hexdump(out);
    const auto after = counters();
    for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) {
      uint64_t expected = 0;
      if (i == UNBUCKLE_XDP_kc_hit) expected = 1;
      if (i == UNBUCKLE_XDP_kc_hit_bytes) expected = MC_UDP_HEADER_SIZE + reply.size();
      EXPECT_EQ(after[i] - before[i], expected) << "counter " << xdp::XdpAttachment::counterName(i);
    }
  }

  // Runs `in`, which must be steered unchanged after bumping `reason`.
  void expectSteered(const std::vector<uint8_t>& in, int reason) {
    const auto before = counters();
    std::vector<uint8_t> out;
    ASSERT_EQ(run(in, out), XDP_REDIRECT) << hexdump(in);
    EXPECT_EQ(out, in) << "frame changed:" << hexdump(out);
    const auto after = counters();
    for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) {
      const uint64_t expected = i == reason || i == UNBUCKLE_XDP_redirect ? 1 : 0;
      EXPECT_EQ(after[i] - before[i], expected) << "counter " << xdp::XdpAttachment::counterName(i);
    }
  }

  // Runs `in`, which must be dropped unchanged after bumping `reason` only.
  void expectDropped(const std::vector<uint8_t>& in, int reason) {
    const auto before = counters();
    std::vector<uint8_t> out;
    ASSERT_EQ(run(in, out), XDP_DROP) << hexdump(in);
    const auto after = counters();
    for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) {
      EXPECT_EQ(after[i] - before[i], i == reason ? 1u : 0u) << "counter " << xdp::XdpAttachment::counterName(i);
    }
  }

  // 2000 hits of `in` from one source: it draws its burst (16 KiB) and what
  // the rate (1024 bytes a second) adds meanwhile, no more; the rest is
  // dropped in XDP and counted.
  void expectFloodDrawsItsBurstAndNoMore(const std::vector<uint8_t>& in);

  std::unique_ptr<unbuckle_bpf, SkeletonDeleter> skel_;
  BoundXsk xsk_;
};

const std::string kKey = "k";
const std::string kReply = getReply("k", "hello");

TEST_F(KernelCacheTest, Ipv4HitIsTheAfXdpReply) {
  store(kKey, kcSlot(kKey, kReply));
  expectHit(getRequest("get k\r\n").build(), kReply);
}

TEST_F(KernelCacheTest, Ipv6HitIsTheAfXdpReply) {
  store(kKey, kcSlot(kKey, kReply));
  expectHit(getRequest("get k\r\n", true).build(), kReply);
}

TEST_F(KernelCacheTest, VlanTaggedHitsKeepTheTag) {
  store(kKey, kcSlot(kKey, kReply));
  expectHit(Pkt().eth().vlan(42).ipv4().udp(kPort).mcFrame(kRequestId).payload("get k\r\n").build(), kReply);
  expectHit(Pkt().eth().vlan(7, ETH_P_8021AD).ipv6().udp(kPort).mcFrame(kRequestId).payload("get k\r\n").build(), kReply);
}

TEST_F(KernelCacheTest, IpOptionsAndEthernetPaddingAreNotInTheReply) {
  store(kKey, kcSlot(kKey, kReply));
  expectHit(Pkt().eth().ipv4().ipv4Options(2).udp(kPort).mcFrame(kRequestId).payload("get k\r\n").build(), kReply);
  std::vector<uint8_t> padded = getRequest("get k\r\n").build();
  padded.resize(60, 0);   // a minimum Ethernet frame
  expectHit(padded, kReply);
}

TEST_F(KernelCacheTest, OddReplyLengthsAndTheLargestReplyAreChecksummed) {
  for (const size_t value : {size_t{0}, size_t{1}, size_t{2}, size_t{1000}}) {
    SCOPED_TRACE(value);
    const std::string reply = getReply(kKey, std::string(value, 'v'));
    store(kKey, kcSlot(kKey, reply));
    expectHit(getRequest("get k\r\n").build(), reply);
    expectHit(getRequest("get k\r\n", true).build(), reply);
  }
  // A reply of UNBUCKLE_KC_REPLY_MAX bytes: one full memcached datagram.
  const size_t overhead = getReply(kKey, std::string(1000, 'v')).size() - 1000;
  const std::string largest = getReply(kKey, std::string(UNBUCKLE_KC_REPLY_MAX - overhead, 'v'));
  ASSERT_EQ(largest.size(), size_t{UNBUCKLE_KC_REPLY_MAX});
  store(kKey, kcSlot(kKey, largest));
  expectHit(getRequest("get k\r\n").build(), largest);
  expectHit(getRequest("get k\r\n", true).build(), largest);
}

TEST_F(KernelCacheTest, LongestKeyIsServedOneMoreIsNot) {
  const std::string key(MC_KEY_MAX_LENGTH, 'x');
  const std::string reply = getReply(key, "v");
  store(key, kcSlot(key, reply));
  expectHit(getRequest("get " + key + "\r\n").build(), reply);
  expectSteered(getRequest("get " + key + "x\r\n").build(), UNBUCKLE_XDP_kc_fallback_not_plain_get);
}

TEST_F(KernelCacheTest, HitsAreRecordedInTheSlotsHitRecordWithConsecutiveIpIds) {
  const uint32_t index = store(kKey, kcSlot(kKey, kReply));
  const uint64_t before = monotonicNs();
  std::vector<uint8_t> first, second;
  const std::vector<uint8_t> in = getRequest("get k\r\n").build();
  ASSERT_EQ(run(in, first), XDP_TX);
  ASSERT_EQ(run(in, second), XDP_TX);
  EXPECT_EQ(static_cast<uint16_t>(ipId(first) + 1), ipId(second));
  const unbuckle_kc_hit hit = hitRecord(index);
  EXPECT_EQ(hit.hits, 2u);
  EXPECT_GE(hit.last_hit_ns, before);
  EXPECT_LE(hit.last_hit_ns, monotonicNs());
}

TEST_F(KernelCacheTest, AnEntryIsServedUntilItExpires) {
  store(kKey, kcSlot(kKey, kReply, 0, monotonicNs() + 3600ull * 1000000000ull));
  expectHit(getRequest("get k\r\n").build(), kReply);
  store(kKey, kcSlot(kKey, kReply, 0, monotonicNs() - 1));
  expectSteered(getRequest("get k\r\n").build(), UNBUCKLE_XDP_kc_miss_expired);
}

TEST_F(KernelCacheTest, AnEntryFromBeforeAFlushIsAMiss) {
  store(kKey, kcSlot(kKey, kReply, 4));
  setGeneration(4);
  expectHit(getRequest("get k\r\n").build(), kReply);
  setGeneration(5);
  expectSteered(getRequest("get k\r\n").build(), UNBUCKLE_XDP_kc_miss_flushed);
}

TEST_F(KernelCacheTest, APausedCacheAnswersNothing) {
  const uint32_t index = store(kKey, kcSlot(kKey, kReply));
  setGeneration(0, 1);
  expectSteered(getRequest("get k\r\n").build(), UNBUCKLE_XDP_kc_fallback_paused);
  EXPECT_EQ(hitRecord(index).hits, 0u);
  setGeneration(0, 0);
  expectHit(getRequest("get k\r\n").build(), kReply);
}

TEST_F(KernelCacheTest, ASlotBeingWrittenIsAMiss) {
  unbuckle_kc_slot slot = kcSlot(kKey, kReply);
  slot.seq = 3;
  store(kKey, slot);
  expectSteered(getRequest("get k\r\n").build(), UNBUCKLE_XDP_kc_miss_busy);
}

TEST_F(KernelCacheTest, AbsentKeyIsAMiss) {
  expectSteered(getRequest("get k\r\n").build(), UNBUCKLE_XDP_kc_miss_absent);
}

TEST_F(KernelCacheTest, TheSameHashWithAnotherKeyIsAMiss) {
  unbuckle_kc_slot slot = kcSlot("q", getReply("q", "other"));
  slot.key_hash = kcHash(kKey);
  store(kKey, slot);
  expectSteered(getRequest("get k\r\n").build(), UNBUCKLE_XDP_kc_miss_absent);
}

TEST_F(KernelCacheTest, EveryWayOfTheSetIsSearched) {
  // Four other keys of k's set fill it: a miss; k in the last way: a hit.
  std::vector<std::string> others;
  for (int i = 0; others.size() < UNBUCKLE_KC_WAYS; ++i) {
    const std::string key = "key" + std::to_string(i);
    if (setOf(key) == setOf(kKey)) others.push_back(key);
  }
  for (uint32_t way = 0; way < UNBUCKLE_KC_WAYS; ++way) {
    store(kKey, kcSlot(others[way], getReply(others[way], "o")), way);
  }
  expectSteered(getRequest("get k\r\n").build(), UNBUCKLE_XDP_kc_miss_absent);
  const uint32_t index = store(kKey, kcSlot(kKey, kReply), UNBUCKLE_KC_WAYS - 1);
  expectHit(getRequest("get k\r\n").build(), kReply);
  EXPECT_EQ(hitRecord(index).hits, 1u);
  expectHit(getRequest("get " + others[0] + "\r\n").build(), getReply(others[0], "o"));
}

TEST_F(KernelCacheTest, AnythingButOnePlainGetGoesToTheDaemon) {
  store(kKey, kcSlot(kKey, kReply));
  store("k2", kcSlot("k2", getReply("k2", "v2")));
  for (const std::string line : {"get k k2\r\n", "gets k\r\n", "get k\r\nxyz", "get k \r\n", "get  k\r\n",
                                 "get k\n", "GET k\r\n", "get \r\n", "get k\r", "get\tk\r\n", "get k\t\r\n",
                                 "set k 0 0 1\r\nv\r\n", "mg k v\r\n"}) {
    SCOPED_TRACE(line);
    expectSteered(getRequest(line).build(), UNBUCKLE_XDP_kc_fallback_not_plain_get);
  }
}

TEST_F(KernelCacheTest, RequestsTheAfXdpPathDropsAreLeftToIt) {
  store(kKey, kcSlot(kKey, kReply));
  std::vector<uint8_t> bad_checksum = getRequest("get k\r\n").build();
  bad_checksum[14 + 10] ^= 1;
  expectSteered(bad_checksum, UNBUCKLE_XDP_kc_fallback_not_plain_get);
  std::vector<uint8_t> broadcast = getRequest("get k\r\n").build();
  std::memset(broadcast.data(), 0xff, 6);
  expectSteered(broadcast, UNBUCKLE_XDP_kc_fallback_not_plain_get);
}

// Denied before the cache is looked at, with the cache on and off, over
// IPv4, IPv6 and VLAN: dropped, counted once, never redirected or answered.
TEST_F(KernelCacheTest, SourcesOutsideTheAllowListAreDroppedInXdp) {
  for (const uint8_t kernel_cache : {1, 0}) {
    SCOPED_TRACE(kernel_cache ? "kernel cache on" : "kernel cache off");
    load(kernel_cache);
    store(kKey, kcSlot(kKey, kReply));
    disallow4(0, {0, 0, 0, 0});
    allow4(24, {10, 0, 0, 0});   // the test packets come from 10.0.0.2
    const std::vector<uint8_t> v4 = getRequest("get k\r\n").build();
    if (kernel_cache) {
      expectHit(v4, kReply);
    } else {
      expectSteered(v4, -1);
    }
    disallow4(24, {10, 0, 0, 0});
    allow4(24, {10, 0, 1, 0});
    expectDropped(v4, UNBUCKLE_XDP_drop_denied);
    expectDropped(Pkt().eth().vlan(42).ipv4().udp(kPort).mcFrame(kRequestId).payload("get k\r\n").build(),
                  UNBUCKLE_XDP_drop_denied);
    unbuckle_allow6_key all6{0, {}};
    ASSERT_EQ(bpf_map__delete_elem(skel_->maps.unbuckle_allow6, &all6, sizeof(all6), 0), 0);
    expectDropped(getRequest("get k\r\n", true).build(), UNBUCKLE_XDP_drop_denied);
    // fd00::2 (the test packets' source) in a /120: allowed again.
    unbuckle_allow6_key near{120, {0xfd}};
    uint8_t one = 1;
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.unbuckle_allow6, &near, sizeof(near), &one, 1, 0), 0);
    const std::vector<uint8_t> v6 = getRequest("get k\r\n", true).build();
    if (kernel_cache) {
      expectHit(v6, kReply);
    } else {
      expectSteered(v6, -1);
    }
  }
}

TEST_F(KernelCacheTest, OffTheProgramSteersAsWithoutAKernelCache) {
  load(0);
  store(kKey, kcSlot(kKey, kReply));
  const auto before = counters();
  const std::vector<uint8_t> in = getRequest("get k\r\n").build();
  std::vector<uint8_t> out;
  ASSERT_EQ(run(in, out), XDP_REDIRECT);
  EXPECT_EQ(out, in);
  const auto after = counters();
  for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) {
    EXPECT_EQ(after[i] - before[i], i == UNBUCKLE_XDP_redirect ? 1u : 0u)
        << "counter " << xdp::XdpAttachment::counterName(i);
  }
}

// A daemon killed with -9 leaves the program and the mirror behind but its
// sockets close: nothing may be answered from a cache no one keeps coherent.
TEST_F(KernelCacheTest, AQueueWithoutItsSocketIsNeverAnsweredFromTheCache) {
  store(kKey, kcSlot(kKey, kReply));
  expectHit(getRequest("get k\r\n").build(), kReply);
  xsk_.close();
  const auto before = counters();
  const std::vector<uint8_t> in = getRequest("get k\r\n").build();
  std::vector<uint8_t> out;
  ASSERT_EQ(run(in, out), XDP_PASS);
  EXPECT_EQ(out, in);
  const auto after = counters();
  for (int i = 0; i < UNBUCKLE_XDP_COUNTER_MAX; ++i) {
    EXPECT_EQ(after[i] - before[i], i == UNBUCKLE_XDP_redirect_no_socket ? 1u : 0u)
        << "counter " << xdp::XdpAttachment::counterName(i);
  }
}


// ---- The reply budget of kernel-cache hits (bpf/reply_budget.h) ----

constexpr uint64_t kSecondNs = 1000000000;
// What a hit of kReply takes from its source's bucket: the UDP payload.
const int64_t kReplyBytes = static_cast<int64_t>(MC_UDP_HEADER_SIZE + kReply.size());

void KernelCacheTest::expectFloodDrawsItsBurstAndNoMore(const std::vector<uint8_t>& in) {
  constexpr int64_t kBurst = 16 << 10;
  load(1, 1024, kBurst);
  store(kKey, kcSlot(kKey, kReply));
  const uint64_t start = monotonicNs();
  int64_t answered = 0;
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> out;
    answered += run(in, out) == XDP_TX;
  }
  const double seconds = static_cast<double>(monotonicNs() - start) / kSecondNs;
  // The burst, what the rate added meanwhile, and the one reply below zero.
  const int64_t bound = kBurst + static_cast<int64_t>(1024 * seconds) + 1 + kReplyBytes;
  EXPECT_LE(answered * kReplyBytes, bound);
  EXPECT_GE(answered * kReplyBytes, kBurst);
  EXPECT_EQ(counter(UNBUCKLE_XDP_kc_drop_over_budget), static_cast<uint64_t>(2000 - answered));
}

TEST_F(KernelCacheTest, AFirstHitFillsTheSourcesBucketAndTakesTheReplyFromIt) {
  load(1, 1024, 4096);
  store(kKey, kcSlot(kKey, kReply));
  unbuckle_reply_bucket b{};
  ASSERT_FALSE(bucket(false, b));
  const uint64_t before = monotonicNs();
  expectHit(getRequest("get k\r\n").build(), kReply);
  ASSERT_TRUE(bucket(false, b)) << "no bucket for ::ffff:10.0.0.2";
  EXPECT_EQ(b.tokens, 4096 - kReplyBytes);
  EXPECT_GE(b.last_ns, before);
  EXPECT_LE(b.last_ns, monotonicNs());
  // IPv6 sources have buckets of their own.
  ASSERT_FALSE(bucket(true, b));
  expectHit(getRequest("get k\r\n", true).build(), kReply);
  ASSERT_TRUE(bucket(true, b)) << "no bucket for fd00::2";
  EXPECT_EQ(b.tokens, 4096 - kReplyBytes);
}

TEST_F(KernelCacheTest, AHitIsAnsweredWhileTheBucketIsPositiveAndMayTakeItBelowZero) {
  load(1, 1024, 4096);
  const uint32_t index = store(kKey, kcSlot(kKey, kReply));
  // 1024 bytes a second: the moments until the runs add a byte a
  // millisecond (a few on a loaded machine), far from a reply's.
  setBucket(false, 1, monotonicNs());
  expectHit(getRequest("get k\r\n").build(), kReply);
  unbuckle_reply_bucket b{};
  ASSERT_TRUE(bucket(false, b));
  EXPECT_GE(b.tokens, 1 - kReplyBytes);
  EXPECT_LE(b.tokens, 10 - kReplyBytes);
  // Spent: dropped in XDP, counted, neither answered nor redirected nor
  // recorded as a hit, nothing taken from the bucket.
  for (int i = 0; i < 3; ++i) expectDropped(getRequest("get k\r\n").build(), UNBUCKLE_XDP_kc_drop_over_budget);
  EXPECT_EQ(hitRecord(index).hits, 1u);
  unbuckle_reply_bucket after{};
  ASSERT_TRUE(bucket(false, after));
  EXPECT_GE(after.tokens, b.tokens);
  EXPECT_LE(after.tokens, 0);
  // Another source is answered as before.
  expectHit(getRequest("get k\r\n", true).build(), kReply);
}

TEST_F(KernelCacheTest, AnEmptyBucketDropsOnlyHitsMissesStillGoToTheDaemon) {
  load(1, 1024, 4096);
  setBucket(false, 0, monotonicNs());
  store(kKey, kcSlot(kKey, kReply));
  expectDropped(getRequest("get k\r\n").build(), UNBUCKLE_XDP_kc_drop_over_budget);
  // The daemon's own budget decides those.
  expectSteered(getRequest("get absent\r\n").build(), UNBUCKLE_XDP_kc_miss_absent);
  expectSteered(getRequest("gets k\r\n").build(), UNBUCKLE_XDP_kc_fallback_not_plain_get);
}

TEST_F(KernelCacheTest, TheBucketRefillsAtTheRateUpToTheBurst) {
  load(1, 1024, 4096);
  store(kKey, kcSlot(kKey, kReply));
  // Spent a second ago: 1024 bytes since, enough for one reply.
  const int64_t spent = -100;
  setBucket(false, spent, monotonicNs() - kSecondNs);
  expectHit(getRequest("get k\r\n").build(), kReply);
  unbuckle_reply_bucket b{};
  ASSERT_TRUE(bucket(false, b));
  // The refill of one second and the few microseconds after it.
  EXPECT_GE(b.tokens, spent + 1024 - kReplyBytes);
  EXPECT_LE(b.tokens, spent + 1024 + 10 - kReplyBytes);
  // Half a second ago, 600 bytes short: still short, so dropped, and that
  // half second is refilled all the same (the next one starts from there).
  setBucket(false, -600, monotonicNs() - kSecondNs / 2);
  expectDropped(getRequest("get k\r\n").build(), UNBUCKLE_XDP_kc_drop_over_budget);
  ASSERT_TRUE(bucket(false, b));
  EXPECT_GE(b.tokens, -600 + 512);
  EXPECT_LE(b.tokens, 0);
  // Idle for an hour: full again, not more.
  setBucket(false, -5000, monotonicNs() - 3600 * kSecondNs);
  expectHit(getRequest("get k\r\n").build(), kReply);
  ASSERT_TRUE(bucket(false, b));
  EXPECT_EQ(b.tokens, 4096 - kReplyBytes);
}

TEST_F(KernelCacheTest, AnIpv6SourceOverBudgetIsDroppedOtherIpv6SourcesAreServed) {
  load(1, 1024, 4096);
  const uint32_t index = store(kKey, kcSlot(kKey, kReply));
  // fd00::2 spent just now, 1000 bytes short: 1024 bytes a second refill
  // that in a second, not by the runs.
  setBucket(true, -1000, monotonicNs());
  for (int i = 0; i < 3; ++i) {
    expectDropped(getRequest("get k\r\n", true).build(), UNBUCKLE_XDP_kc_drop_over_budget);
  }
  EXPECT_EQ(hitRecord(index).hits, 0u);
  unbuckle_reply_bucket b{};
  ASSERT_TRUE(bucket(true, b));
  EXPECT_LT(b.tokens, 0);
  // The whole address is the key: sources differing from fd00::2 in the
  // last byte, in the interface identifier's first byte and in the prefix
  // each start with a full bucket of their own and are answered.
  const std::array<std::array<uint8_t, 16>, 3> others = {{
      {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3},
      {0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2},
      {0xfd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
  }};
  for (const std::array<uint8_t, 16>& other : others) {
    expectHit(Pkt().eth().ipv6().from6(other).udp(kPort).mcFrame(kRequestId).payload("get k\r\n").build(), kReply);
    ASSERT_TRUE(bucket(budgetKey6(other), b));
    EXPECT_EQ(b.tokens, 4096 - kReplyBytes);
  }
  EXPECT_EQ(hitRecord(index).hits, others.size());
  expectDropped(getRequest("get k\r\n", true).build(), UNBUCKLE_XDP_kc_drop_over_budget);
}

TEST_F(KernelCacheTest, AFloodFromOneSourceDrawsItsBurstAndNoMore) {
  expectFloodDrawsItsBurstAndNoMore(getRequest("get k\r\n").build());
}

TEST_F(KernelCacheTest, AFloodFromOneIpv6SourceDrawsItsBurstAndNoMore) {
  expectFloodDrawsItsBurstAndNoMore(getRequest("get k\r\n", true).build());
  // A second IPv6 source is answered meanwhile.
  expectHit(Pkt().eth().ipv6().from6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3})
                .udp(kPort).mcFrame(kRequestId).payload("get k\r\n").build(),
            kReply);
}

}  // namespace
}  // namespace unbuckle::testing
