// Run-time attach and detach through AfxdpBackend, in process: two veth
// pairs between two namespaces made by the test, one store and engine, the
// kernel cache's maps shared by every program. Interface A serves UDP GETs
// without a pause while interface B is attached and detached in a loop and
// another thread reads status() and the XDP counters; A loses no reply, B
// serves after each attach, and leaves no XDP program, AF_XDP socket, pin
// or descriptor after each detach; attaches that fail leave nothing either;
// the items stored before are all there after.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "afxdp/afxdp_backend.h"
#include "kernel_cache/kernel_cache_maps.h"
#include "xdp/allow_list_maps.h"
#include "proto/engine.h"
#include "proto/reply_sink.h"
#include "proto/stats.h"
#include "store/clock.h"
#include "store/store.h"
#include "veth_namespaces.h"

namespace unbuckle::afxdp {
namespace {

using testing::VethNamespaces;
using namespace std::chrono_literals;

constexpr uint16_t kPort = 11211;
constexpr int kItems = 1000;
constexpr int kCycles = 10;
// Bounds of A's GET loop: it runs while B cycles, and at most this long or
// this many requests.
constexpr auto kMaxServeTime = 20s;
constexpr uint64_t kMaxRequests = 1'000'000;
// A reply later than this counts as lost (one request in flight at a time).
constexpr auto kReplyWait = 2s;

std::string shell(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) {
    return output;
  }
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe)) {
    output += buffer;
  }
  pclose(pipe);
  return output;
}

std::string key(int i) { return "item" + std::to_string(i); }
std::string value(int i) { return "value of item " + std::to_string(i); }

// A memcached UDP client with one request in flight.
class UdpGetter {
 public:
  explicit UdpGetter(const char* server) : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(kPort);
    inet_pton(AF_INET, server, &address.sin_addr);
    connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  ~UdpGetter() { close(fd_); }

  // The reply payload to `get <key>` (a single datagram), or nullopt when
  // none came within kReplyWait.
  std::optional<std::string> get(const std::string& key) {
    const uint16_t id = ++id_;
    std::string datagram{static_cast<char>(id >> 8), static_cast<char>(id & 0xff), 0, 0, 0, 1, 0, 0};
    datagram += "get " + key + "\r\n";
    if (send(fd_, datagram.data(), datagram.size(), 0) != static_cast<ssize_t>(datagram.size())) {
      return std::nullopt;
    }
    const auto deadline = std::chrono::steady_clock::now() + kReplyWait;
    char buffer[2048];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 100) <= 0) {
        continue;
      }
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n >= 8 && (static_cast<uint8_t>(buffer[0]) << 8 | static_cast<uint8_t>(buffer[1])) == id) {
        return std::string(buffer + 8, static_cast<size_t>(n) - 8);
      }
    }
    return std::nullopt;
  }

 private:
  int fd_;
  uint16_t id_ = 0;
};

class StringSink final : public proto::ReplySink {
 public:
  void append(std::string_view bytes) override { text.append(bytes); }
  void endResponse() override {}
  std::string text;
};

// Open descriptors of this process: sockets, maps, umems, eventfds.
size_t openDescriptors() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

// AF_XDP sockets open in this thread's network namespace.
int xdpSockets() {
  FILE* protocols = fopen("/proc/thread-self/net/protocols", "r");
  if (!protocols) {
    return -1;
  }
  char line[512];
  int sockets = -1;
  while (fgets(line, sizeof line, protocols)) {
    if (std::sscanf(line, "XDP %*d %d", &sockets) == 1) {
      break;
    }
  }
  fclose(protocols);
  return sockets;
}

// The id of the map behind a descriptor.
uint32_t mapId(int fd) {
  bpf_map_info info{};
  uint32_t length = sizeof info;
  return bpf_obj_get_info_by_fd(fd, &info, &length) == 0 ? info.id : 0;
}

class AfxdpAttachDetachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "AF_XDP and network namespaces need root";
    }
    net_ = std::make_unique<VethNamespaces>(1, true);
    ASSERT_EQ(net_->error(), "");
    ASSERT_TRUE(net_->enterServer()) << net_->error();
    store_ = std::make_unique<store::Store>(store::StoreConfig{}, clock_);
    engine_ = std::make_unique<proto::Engine>(*store_, proto::EngineConfig{}, stats_);
    auto maps = kernel_cache::KernelCacheMaps::create(1024);
    ASSERT_TRUE(maps.ok()) << maps.error();
    maps_ = std::move(maps.value());
    auto allow_maps = xdp::AllowListMaps::create(config::defaultAllow());
    ASSERT_TRUE(allow_maps.ok()) << allow_maps.error();
    allow_maps_ = std::move(allow_maps.value());
    backend_ = std::make_unique<AfxdpBackend>(*engine_, stats_,
                                              std::make_shared<udp::AllowList>(config::defaultAllow()),
                                              allow_maps_->fds(), maps_->fds());
  }

  void TearDown() override {
    if (net_) {
      net_->enterServer();   // detach where the interfaces are
    }
    backend_.reset();
    maps_.reset();
    allow_maps_.reset();
    engine_.reset();
    store_.reset();
    net_.reset();
  }

  DatapathOptions optionsFor(const std::string& interface) {
    DatapathOptions options;
    options.interface = interface;
    options.port = kPort;
    options.xdp_mode = config::XdpMode::kNative;
    options.pin_root = net_->pinRoot();
    return options;
  }

  void storeItems() {
    proto::WorkerStats& worker = stats_.addWorker();
    for (int i = 0; i < kItems; ++i) {
      StringSink sink;
      proto::Session session;
      const std::string v = value(i);
      engine_->process("set " + key(i) + " 0 0 " + std::to_string(v.size()) + "\r\n" + v + "\r\n", sink,
                       session, worker);
      ASSERT_EQ(sink.text, "STORED\r\n");
    }
  }

  static std::string hit(int i) {
    return "VALUE " + key(i) + " 0 " + std::to_string(value(i).size()) + "\r\n" + value(i) + "\r\nEND\r\n";
  }

  // Whether `interface` (in the server namespace, where this thread is) has
  // no XDP program and no pins, and the namespace has only the AF_XDP
  // sockets of the interfaces still attached (one queue each).
  void expectNothingLeftOn(const std::string& interface) {
    const int ifindex = static_cast<int>(if_nametoindex(interface.c_str()));
    ASSERT_NE(ifindex, 0);
    bpf_xdp_query_opts query{};
    query.sz = sizeof query;
    ASSERT_EQ(bpf_xdp_query(ifindex, 0, &query), 0);
    EXPECT_EQ(query.attach_mode, XDP_ATTACHED_NONE) << shell("ip -d link show dev " + interface);
    EXPECT_EQ(xdpSockets(), static_cast<int>(backend_->status().size()));
    EXPECT_FALSE(std::filesystem::exists(net_->pinRoot() + "/" + interface));
  }

  store::SystemClock clock_;
  proto::StatsRegistry stats_;
  std::unique_ptr<VethNamespaces> net_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<proto::Engine> engine_;
  std::unique_ptr<kernel_cache::KernelCacheMaps> maps_;
  std::unique_ptr<xdp::AllowListMaps> allow_maps_;
  std::unique_ptr<AfxdpBackend> backend_;
};

TEST_F(AfxdpAttachDetachTest, AServesWithoutALostReplyWhileBIsAttachedAndDetachedInALoop) {
  storeItems();
  const size_t descriptors = openDescriptors();
  auto a = backend_->attach(optionsFor(VethNamespaces::kServerInterface));
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_NE(a.value().find("ubx0 (veth): XDP native, AF_XDP copy"), std::string::npos) << a.value();

  // A's client: every GET in turn, one in flight, until B's cycles end.
  std::atomic<bool> cycling{true};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> lost{0};
  std::atomic<uint64_t> wrong{0};
  std::string client_error;
  std::jthread client([&] {
    if (!net_->enterClient() ||
        shell(std::string("ip route get ") + VethNamespaces::kServerIpv4).find("dev ubx1") == std::string::npos) {
      client_error = "the client is not in its namespace, or its route to A is not ubx1";
      return;
    }
    UdpGetter getter(VethNamespaces::kServerIpv4);
    const auto end = std::chrono::steady_clock::now() + kMaxServeTime;
    for (uint64_t n = 0; n < kMaxRequests && (cycling || n < 100) && std::chrono::steady_clock::now() < end; ++n) {
      const int i = static_cast<int>(n % kItems);
      const std::optional<std::string> reply = getter.get(key(i));
      ++requests;
      if (!reply) {
        ++lost;
      } else if (*reply != hit(i)) {
        ++wrong;
      }
    }
  });

  // Readers of the backend and `stats` meanwhile: the XDP counters never go
  // back, though B's program comes and goes.
  std::atomic<uint64_t> counter_went_back{0};
  std::jthread reader([&] {
    uint64_t previous = 0;
    while (cycling) {
      const uint64_t redirected = backend_->xdpCounter(UNBUCKLE_XDP_redirect);
      counter_went_back += redirected < previous;
      previous = redirected;
      backend_->status();
      stats_.sourceStats();
      std::this_thread::sleep_for(1ms);
    }
  });
  // An assertion that returns early stops both threads before they join.
  struct StopOnReturn {
    std::atomic<bool>& flag;
    ~StopOnReturn() { flag = false; }
  } stop_on_return{cycling};

  // A and its client's socket.
  for (int i = 0; i < 200 && requests == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_GT(requests.load(), 0u) << client_error;
  const size_t descriptors_with_a = openDescriptors();

  const std::string b = VethNamespaces::kSecondServerInterface;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    auto attached = backend_->attach(optionsFor(b));
    ASSERT_TRUE(attached.ok()) << attached.error();
    ASSERT_EQ(backend_->status().size(), 2u);
    EXPECT_EQ(xdpSockets(), 2);
    // B serves the same store, through the kernel cache maps A's program uses.
    const int b_slots = bpf_obj_get((net_->pinRoot() + "/" + b + "/unbuckle_kc_slots").c_str());
    EXPECT_EQ(mapId(b_slots), mapId(maps_->fds().slots));
    close(b_slots);
    ASSERT_TRUE(net_->enterClient());
    ASSERT_NE(shell(std::string("ip route get ") + VethNamespaces::kSecondServerIpv4).find("dev ubx3"),
              std::string::npos);
    {
      UdpGetter getter(VethNamespaces::kSecondServerIpv4);
      EXPECT_EQ(getter.get(key(cycle)), hit(cycle)) << "B, cycle " << cycle;
    }
    ASSERT_TRUE(net_->enterServer());
    auto detached = backend_->detach(b);
    ASSERT_TRUE(detached.ok()) << detached.error();
    expectNothingLeftOn(b);
    EXPECT_EQ(openDescriptors(), descriptors_with_a) << "cycle " << cycle;
  }
  std::this_thread::sleep_for(200ms);   // A serves on after the last detach
  cycling = false;
  client.join();
  reader.join();

  ASSERT_EQ(client_error, "");
  EXPECT_GT(requests.load(), 100u);
  EXPECT_EQ(lost.load(), 0u) << "of " << requests.load() << " GETs through A";
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(counter_went_back.load(), 0u);
  // XDP redirected every GET to A and the one per cycle to B; B's count
  // stays after its detach.
  EXPECT_EQ(backend_->xdpCounter(UNBUCKLE_XDP_redirect), requests.load() + kCycles);

  // A's lines alone in `stats`; B's left with it.
  const std::vector<InterfaceStatus> status = backend_->status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].interface, VethNamespaces::kServerInterface);
  EXPECT_EQ(status[0].driver, "veth");
  EXPECT_EQ(status[0].xdp_mode, "native");
  EXPECT_EQ(status[0].bind_mode, "copy");
  EXPECT_EQ(status[0].queues, 1u);
  ASSERT_EQ(status[0].worker_cpus.size(), 1u);
  EXPECT_GE(status[0].worker_cpus[0], 0);
  for (const auto& [name, count] : stats_.sourceStats()) {
    if (name == "afxdp_rx_frames") {
      EXPECT_EQ(count, status[0].rx_frames);
    }
  }
  EXPECT_EQ(status[0].rx_frames, requests.load());

  // Every item stored before is still there.
  ASSERT_TRUE(net_->enterClient());
  {
    UdpGetter getter(VethNamespaces::kServerIpv4);
    for (int i = 0; i < kItems; ++i) {
      ASSERT_EQ(getter.get(key(i)), hit(i)) << key(i);
    }
  }
  ASSERT_TRUE(net_->enterServer());

  ASSERT_TRUE(backend_->detach(VethNamespaces::kServerInterface).ok());
  expectNothingLeftOn(VethNamespaces::kServerInterface);
  EXPECT_TRUE(stats_.sourceStats().empty());
  EXPECT_EQ(openDescriptors(), descriptors);
}

TEST_F(AfxdpAttachDetachTest, AFailedAttachLeavesNothingBehind) {
  const std::string b = VethNamespaces::kSecondServerInterface;
  const size_t descriptors = openDescriptors();

  auto missing = backend_->attach(optionsFor("nosuch0"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("nosuch0"), std::string::npos) << missing.error();

  DatapathOptions too_many = optionsFor(b);
  too_many.queues = 4;
  auto queues = backend_->attach(too_many);
  ASSERT_FALSE(queues.ok());
  EXPECT_EQ(queues.error(), "ubx2 has 1 RX queues, not 4");
  expectNothingLeftOn(b);

  // Fails after the program is attached: veth refuses a zero-copy bind.
  DatapathOptions zero_copy = optionsFor(b);
  zero_copy.zero_copy = config::ZeroCopy::kOn;
  auto refused = backend_->attach(zero_copy);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("cannot bind an AF_XDP socket to ubx2 queue 0 (zero-copy)"), std::string::npos)
      << refused.error();
  expectNothingLeftOn(b);

  EXPECT_TRUE(backend_->status().empty());
  EXPECT_TRUE(stats_.sourceStats().empty());
  EXPECT_EQ(openDescriptors(), descriptors);

  // The same interface attaches cleanly afterwards, once.
  auto attached = backend_->attach(optionsFor(b));
  ASSERT_TRUE(attached.ok()) << attached.error();
  auto again = backend_->attach(optionsFor(b));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), "ubx2 is already attached (detach it first to attach it with other options)");
  ASSERT_TRUE(backend_->detach(b).ok());
  auto not_attached = backend_->detach(b);
  ASSERT_FALSE(not_attached.ok());
  EXPECT_EQ(not_attached.error(), "ubx2 is not attached");
  expectNothingLeftOn(b);
  EXPECT_EQ(openDescriptors(), descriptors);
}

}  // namespace
}  // namespace unbuckle::afxdp
