// The kernel cache on a real interface: a veth pair between two namespaces
// the test makes, the program attached to the server end (native, then
// generic), a kernel UDP socket in the client namespace sending `get`. The
// client's kernel accepting the reply proves its checksums; a reply too big
// for the frame's room goes on unanswered by XDP, counted. Also measures the
// largest reply each mode can serve (printed, not asserted). The program
// answers only on a queue with an AF_XDP socket, so one is bound to the
// server end's queue 0 (bound_xsk.h); nothing reads it.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "bound_xsk.h"
#include "kernel_cache_writer.h"
#include "unbuckle/bpf_abi.h"
#include "unbuckle/mc_udp.h"
#include "unbuckle_bpf.skel.h"
#include "xdp_counter.h"

namespace unbuckle::testing {
namespace {

constexpr uint16_t kPort = 11211;
constexpr uint32_t kSlots = 16;

struct SkeletonDeleter {
  void operator()(unbuckle_bpf* skel) const { unbuckle_bpf::destroy(skel); }
};
using Skeleton = std::unique_ptr<unbuckle_bpf, SkeletonDeleter>;

std::string output(const std::string& command) {
  std::string text;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return text;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe)) text += buffer;
  pclose(pipe);
  return text;
}

std::string getReply(const std::string& key, const std::string& value) {
  return "VALUE " + key + " 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nEND\r\n";
}

class KernelCacheVethTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "namespaces and XDP need root";
    const std::string id = std::to_string(getpid());
    server_ = "ubkcs" + id;
    client_ = "ubkcc" + id;
    original_ns_ = open("/proc/self/ns/net", O_RDONLY);
    ASSERT_GE(original_ns_, 0);
    ASSERT_EQ(std::system(("ip netns add " + server_ + " && ip netns add " + client_).c_str()), 0);
    const std::string setup =
        "ip -n " + server_ + " link add kcs0 type veth peer name kcc0 netns " + client_ +
        " && ip -n " + server_ + " addr add 10.211.0.1/24 dev kcs0" +
        " && ip -n " + server_ + " addr add fd00:211::1/64 dev kcs0 nodad" +
        " && ip -n " + client_ + " addr add 10.211.0.2/24 dev kcc0" +
        " && ip -n " + client_ + " addr add fd00:211::2/64 dev kcc0 nodad" +
        " && ip -n " + server_ + " link set kcs0 up && ip -n " + client_ + " link set kcc0 up" +
        " && ip -n " + server_ + " link set lo up && ip -n " + client_ + " link set lo up";
    ASSERT_EQ(std::system(setup.c_str()), 0);
    // A veth sends XDP_TX frames to its peer's NAPI, which exists only while
    // the peer has an XDP program too: one that passes everything (port 1).
    enter(client_);
    peer_ = load(0, 1);
    ASSERT_TRUE(peer_);
    ASSERT_EQ(bpf_xdp_attach(if_nametoindex("kcc0"), bpf_program__fd(peer_->progs.unbuckle_xdp),
                             XDP_FLAGS_DRV_MODE, nullptr),
              0);
    enter(server_);
    skel_ = load(1, kPort);
    ASSERT_TRUE(skel_);
    ASSERT_EQ(xsk_.open("kcs0", 0, bpf_map__fd(skel_->maps.unbuckle_xsks)), "");
    leave();
  }

  void TearDown() override {
    if (original_ns_ >= 0) {
      leave();
      close(original_ns_);
    }
    xsk_.close();
    skel_.reset();
    peer_.reset();
    if (!server_.empty()) {
      std::system(("ip netns del " + server_ + " 2>/dev/null; ip netns del " + client_ + " 2>/dev/null").c_str());
    }
  }

  void enter(const std::string& ns) {
    const int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(setns(fd, CLONE_NEWNET), 0);
    close(fd);
  }
  void leave() { setns(original_ns_, CLONE_NEWNET); }

  static Skeleton load(uint8_t kernel_cache, uint16_t port) {
    Skeleton skel(unbuckle_bpf::open());
    if (!skel) return nullptr;
    skel->rodata->cfg_port = port;
    skel->rodata->cfg_kernel_cache = kernel_cache;
    skel->rodata->cfg_kc_set_mask = kSlots / UNBUCKLE_KC_WAYS - 1;
    bpf_map__set_max_entries(skel->maps.unbuckle_kc_slots, kSlots);
    bpf_map__set_max_entries(skel->maps.unbuckle_kc_hits, kSlots);
    if (unbuckle_bpf::load(skel.get()) != 0) return nullptr;
    unbuckle_allow4_key all4{0, {}};
    unbuckle_allow6_key all6{0, {}};
    uint8_t one = 1;
    bpf_map__update_elem(skel->maps.unbuckle_allow4, &all4, sizeof(all4), &one, 1, 0);
    bpf_map__update_elem(skel->maps.unbuckle_allow6, &all6, sizeof(all6), &one, 1, 0);
    return skel;
  }

  // Attaches the kernel-cache program to `device` of the server namespace.
  void attach(const std::string& device, uint32_t mode) {
    enter(server_);
    const int ifindex = static_cast<int>(if_nametoindex(device.c_str()));
    bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, nullptr);
    bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, nullptr);
    const int err = bpf_xdp_attach(ifindex, bpf_program__fd(skel_->progs.unbuckle_xdp), mode, nullptr);
    leave();
    ASSERT_EQ(err, 0) << "attaching to " << device;
  }

  void store(const std::string& key, const std::string& reply) {
    const unbuckle_kc_slot slot = kcSlot(key, reply);
    const uint32_t index = static_cast<uint32_t>(kcHash(key) & (kSlots / UNBUCKLE_KC_WAYS - 1)) * UNBUCKLE_KC_WAYS;
    ASSERT_EQ(bpf_map__update_elem(skel_->maps.unbuckle_kc_slots, &index, sizeof(index), &slot, sizeof(slot), 0), 0);
  }

  uint64_t counter(int index) { return xdpCounter(skel_->maps.unbuckle_counters, index); }

  // Sends `get key` from `ns` to `server` (an address of that namespace's
  // route over `device`); returns the reply datagram, or nothing within 300 ms.
  std::optional<std::string> get(const std::string& ns, const std::string& server, const std::string& device,
                                 const std::string& key) {
    const std::string route = output("ip -n " + ns + " route get " + server);
    EXPECT_NE(route.find("dev " + device), std::string::npos) << "the route to " << server << " is not " << device << ": " << route;
    if (route.find("dev " + device) == std::string::npos) return std::nullopt;
    enter(ns);
    const bool v6 = server.find(':') != std::string::npos;
    const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    leave();
    sockaddr_storage address{};
    socklen_t length;
    if (v6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(kPort);
      inet_pton(AF_INET6, server.c_str(), &in6->sin6_addr);
      length = sizeof(*in6);
    } else {
      auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
      in4->sin_family = AF_INET;
      in4->sin_port = htons(kPort);
      inet_pton(AF_INET, server.c_str(), &in4->sin_addr);
      length = sizeof(*in4);
    }
    timeval timeout{0, 300000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
    const std::string request = std::string("\x00\x07\x00\x00\x00\x01\x00\x00", 8) + "get " + key + "\r\n";
    EXPECT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    char buffer[2048];
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    close(fd);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<size_t>(n));
  }

  static std::string datagram(const std::string& reply) {
    return std::string("\x00\x07\x00\x00\x00\x01\x00\x00", 8) + reply;
  }

  // The largest value (bytes) whose reply the attached program serves.
  size_t largestServed(const std::string& ns, const std::string& server, const std::string& device) {
    size_t low = 0, high = UNBUCKLE_KC_REPLY_MAX - getReply("k", "").size() - 2;
    const auto served = [&](size_t value) {
      const std::string reply = getReply("k", std::string(value, 'v'));
      store("k", reply);
      return get(ns, server, device, "k") == datagram(reply);
    };
    if (!served(low)) return 0;
    while (low < high) {
      const size_t middle = (low + high + 1) / 2;
      served(middle) ? low = middle : high = middle - 1;
    }
    return low;
  }

  std::string server_, client_;
  int original_ns_ = -1;
  Skeleton skel_, peer_;
  BoundXsk xsk_;
};

TEST_F(KernelCacheVethTest, NativeXdpAnswersAGetOverIpv4AndIpv6) {
  attach("kcs0", XDP_FLAGS_DRV_MODE);
  const std::string reply = getReply("k", "hello");
  store("k", reply);
  const uint64_t hits = counter(UNBUCKLE_XDP_kc_hit);
  EXPECT_EQ(get(client_, "10.211.0.1", "kcc0", "k"), datagram(reply));
  EXPECT_EQ(get(client_, "fd00:211::1", "kcc0", "k"), datagram(reply));
  EXPECT_EQ(counter(UNBUCKLE_XDP_kc_hit) - hits, 2u);
}

TEST_F(KernelCacheVethTest, AReplyTooBigForTheFrameIsLeftToTheDaemon) {
  attach("kcs0", XDP_FLAGS_DRV_MODE);
  store("k", getReply("k", std::string(1000, 'v')));
  const uint64_t too_big = counter(UNBUCKLE_XDP_kc_fallback_too_big);
  const uint64_t steered = counter(UNBUCKLE_XDP_redirect);
  // Steered to the AF_XDP socket, which no daemon reads: nothing answers.
  EXPECT_EQ(get(client_, "10.211.0.1", "kcc0", "k"), std::nullopt);
  EXPECT_EQ(counter(UNBUCKLE_XDP_kc_fallback_too_big) - too_big, 1u);
  EXPECT_EQ(counter(UNBUCKLE_XDP_redirect) - steered, 1u);
}

TEST_F(KernelCacheVethTest, LargestValueServedPerMode) {
  attach("kcs0", XDP_FLAGS_DRV_MODE);
  const size_t native = largestServed(client_, "10.211.0.1", "kcc0");
  attach("kcs0", XDP_FLAGS_SKB_MODE);
  const size_t generic = largestServed(client_, "10.211.0.1", "kcc0");
  // The program asks only whether queue 0 has a socket: the one on kcs0 does.
  attach("lo", XDP_FLAGS_SKB_MODE);
  const size_t loopback = largestServed(server_, "127.0.0.1", "lo");
  std::printf("largest value served by XDP (key \"k\", IPv4): veth native %zu B, veth generic %zu B, lo generic %zu B\n",
              native, generic, loopback);
  RecordProperty("veth_native_value_max", static_cast<int>(native));
  RecordProperty("veth_generic_value_max", static_cast<int>(generic));
  RecordProperty("lo_generic_value_max", static_cast<int>(loopback));
  EXPECT_GT(native, 0u);
}

}  // namespace
}  // namespace unbuckle::testing
