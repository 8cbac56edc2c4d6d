// The AF_XDP datapath end to end, in process: a veth pair between two
// namespaces made by the test, InterfaceDatapath with a real store and
// engine on the server end (native XDP, copy-mode AF_XDP), memcached UDP
// clients in the client namespace. Checks exact reply bytes, replies larger
// than the TX ring, a 1 MB GET hit copied once,
// IPv6, two queues with two workers, --allow, and that no frame leaks over
// many requests.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "afxdp/interface_datapath.h"
#include "xdp/allow_list_maps.h"
#include "proto/engine.h"
#include "proto/reply_sink.h"
#include "proto/stats.h"
#include "store/clock.h"
#include "store/store.h"
#include "packet_builder.h"
#include "veth_namespaces.h"

namespace unbuckle::afxdp {
namespace {

using testing::VethNamespaces;
using namespace std::chrono_literals;

constexpr uint16_t kPort = 11211;

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

// A memcached UDP client: one request datagram out, its reply datagrams
// collected in arrival order (one veth queue keeps them in order).
class UdpClient {
 public:
  UdpClient(int family, const char* server) : fd_(socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    const int buffer = 64 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
    sockaddr_storage address{};
    socklen_t length = 0;
    if (family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&address);
      in->sin_family = AF_INET;
      in->sin_port = htons(kPort);
      inet_pton(AF_INET, server, &in->sin_addr);
      length = sizeof *in;
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(kPort);
      inet_pton(AF_INET6, server, &in6->sin6_addr);
      length = sizeof *in6;
    }
    connect(fd_, reinterpret_cast<sockaddr*>(&address), length);
  }
  ~UdpClient() { close(fd_); }

  void send(uint16_t id, std::string_view body) {
    std::string datagram(8, '\0');
    datagram[0] = static_cast<char>(id >> 8);
    datagram[1] = static_cast<char>(id & 0xff);
    datagram[5] = 1;   // total 1
    datagram.append(body);
    ASSERT_EQ(::send(fd_, datagram.data(), datagram.size(), 0), static_cast<ssize_t>(datagram.size()));
  }

  // The payloads (frame headers checked and removed) of the datagrams
  // answering `id`, until they end with `terminator` or nothing comes for
  // `quiet`. Datagrams of other ids are skipped.
  std::string receive(uint16_t id, std::string_view terminator, std::chrono::milliseconds quiet = 2000ms) {
    std::string reply;
    uint16_t expected_seq = 0;
    std::vector<char> buffer(2048);
    while (!std::string_view(reply).ends_with(terminator)) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(quiet.count())) <= 0) {
        break;
      }
      const ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
      if (n < 8) {
        continue;
      }
      const auto* h = reinterpret_cast<const uint8_t*>(buffer.data());
      const uint16_t got_id = static_cast<uint16_t>(h[0] << 8 | h[1]);
      const uint16_t seq = static_cast<uint16_t>(h[2] << 8 | h[3]);
      const uint16_t total = static_cast<uint16_t>(h[4] << 8 | h[5]);
      if (got_id != id) {
        continue;
      }
      // A response is a message of `total` datagrams numbered from 0; the
      // next response starts again at 0.
      EXPECT_EQ(seq, expected_seq) << "datagram order or loss at byte " << reply.size();
      EXPECT_LT(seq, total);
      expected_seq = seq + 1 == total ? 0 : seq + 1;
      reply.append(buffer.data() + 8, static_cast<size_t>(n) - 8);
    }
    return reply;
  }

  std::string exchange(uint16_t id, std::string_view body, std::string_view terminator) {
    send(id, body);
    return receive(id, terminator);
  }

  int fd() const { return fd_; }

 private:
  int fd_;
};

// Raw Ethernet frames on one interface of this thread's namespace (an
// AF_PACKET socket), with the VLAN tag the kernel takes off received
// frames given back through PACKET_AUXDATA.
class RawEthernet {
 public:
  struct UdpFrame {
    int vlan = -1;   // VLAN id, -1 for an untagged frame
    std::string payload;
  };

  explicit RawEthernet(const char* interface)
      : fd_(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL))), ifindex_(if_nametoindex(interface)) {
    EXPECT_GE(fd_, 0);
    EXPECT_NE(ifindex_, 0);
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = static_cast<int>(ifindex_);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    const int on = 1;
    EXPECT_EQ(setsockopt(fd_, SOL_PACKET, PACKET_AUXDATA, &on, sizeof on), 0);
  }
  ~RawEthernet() { close(fd_); }

  void send(const std::vector<uint8_t>& frame) {
    ASSERT_EQ(::send(fd_, frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
  }

  // The next received IPv4 UDP frame from `port`, within `wait`.
  std::optional<UdpFrame> receiveUdpFrom(uint16_t port, std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    std::vector<uint8_t> frame(4096);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 100) <= 0) {
        continue;
      }
      sockaddr_ll from{};
      iovec iov{frame.data(), frame.size()};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(tpacket_auxdata))];
      msghdr message{};
      message.msg_name = &from;
      message.msg_namelen = sizeof from;
      message.msg_iov = &iov;
      message.msg_iovlen = 1;
      message.msg_control = control;
      message.msg_controllen = sizeof control;
      const ssize_t n = recvmsg(fd_, &message, 0);
      if (n < 14 || from.sll_pkttype == PACKET_OUTGOING) {
        continue;
      }
      UdpFrame out;
      for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
          tpacket_auxdata aux{};
          std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
          if (aux.tp_status & TP_STATUS_VLAN_VALID) {
            out.vlan = aux.tp_vlan_tci & 0x0fff;
          }
        }
      }
      size_t at = 12;
      if ((frame[at] << 8 | frame[at + 1]) == ETH_P_8021Q) {   // still in the frame
        out.vlan = (frame[at + 2] << 8 | frame[at + 3]) & 0x0fff;
        at += 4;
      }
      if ((frame[at] << 8 | frame[at + 1]) != ETH_P_IP || static_cast<size_t>(n) < at + 2 + 28) {
        continue;
      }
      const size_t ip = at + 2;
      const size_t udp = ip + (frame[ip] & 0x0f) * 4;
      if (frame[ip + 9] != IPPROTO_UDP || static_cast<size_t>(n) < udp + 8 ||
          (frame[udp] << 8 | frame[udp + 1]) != port) {
        continue;
      }
      out.payload.assign(reinterpret_cast<const char*>(frame.data()) + udp + 8,
                         static_cast<size_t>(n) - udp - 8);
      return out;
    }
    return std::nullopt;
  }

 private:
  int fd_;
  unsigned ifindex_;
};

// `size` letters in a pattern that `seed` shifts, so that a datagram out
// of place shows.
std::string patterned(size_t size, size_t seed) {
  std::string value(size, '\0');
  for (size_t j = 0; j < size; ++j) {
    value[j] = static_cast<char>('a' + (j * 7 + seed) % 26);
  }
  return value;
}

// Collects what the engine answers to requests fed in process.
class StringSink final : public proto::ReplySink {
 public:
  void append(std::string_view bytes) override { text.append(bytes); }
  void endResponse() override {}
  std::string text;
};

class AfxdpDatapathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "AF_XDP and network namespaces need root";
    }
  }

  void TearDown() override {
    if (net_) {
      net_->enterServer();   // detach where the interface is
    }
    datapath_.reset();
    engine_.reset();
    store_.reset();
    net_.reset();
  }

  // Makes the namespaces and starts the datapath on the server end,
  // leaving this thread in the server namespace.
  void startOn(const std::string& interface, unsigned queues, DatapathOptions options) {
    net_ = std::make_unique<VethNamespaces>(queues);
    ASSERT_EQ(net_->error(), "");
    ASSERT_TRUE(net_->enterServer()) << net_->error();
    options.interface = interface;
    options.port = kPort;
    options.pin_root = net_->pinRoot();
    if (!options.allow_maps) {
      auto maps = xdp::AllowListMaps::create(*options.allow->networks());
      ASSERT_TRUE(maps.ok()) << maps.error();
      allow_maps_ = std::move(maps.value());
      options.allow_maps = allow_maps_->fds();
    }
    store_ = std::make_unique<store::Store>(store_config_, clock_);
    engine_ = std::make_unique<proto::Engine>(*store_, proto::EngineConfig{}, stats_);
    auto created = InterfaceDatapath::create(options, *engine_, stats_);
    ASSERT_TRUE(created.ok()) << created.error();
    datapath_ = std::move(created.value());
    datapath_->start();
  }

  // The datapath on the server end of the veth in native mode, and this
  // thread in the client namespace, its route to the server checked.
  void start(unsigned queues, DatapathOptions options = {}) {
    options.xdp_mode = config::XdpMode::kNative;
    startOn(VethNamespaces::kServerInterface, queues, options);
    ASSERT_TRUE(datapath_);
    ASSERT_TRUE(net_->enterClient()) << net_->error();
    ASSERT_NE(shell(std::string("ip route get ") + VethNamespaces::kServerIpv4)
                  .find(std::string("dev ") + VethNamespaces::kClientInterface),
              std::string::npos);
  }

  // Stores an item through the engine directly (values too large for one
  // request datagram).
  void storeItem(const std::string& key, const std::string& value) {
    StringSink sink;
    proto::Session session;
    const std::string request =
        "set " + key + " 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    engine_->process(request, sink, session, stats_.addWorker());
    ASSERT_EQ(sink.text, "STORED\r\n");
  }

  // A get of one stored item of `size` bytes arrives whole, in `datagrams`
  // datagrams of which `buffered` were copied a second time.
  void expectWholeGet(size_t size, uint64_t datagrams, uint64_t buffered) {
    const std::string value = patterned(size, 5);
    storeItem("whole", value);
    UdpClient client(AF_INET, VethNamespaces::kServerIpv4);
    const std::string reply = client.exchange(5, "get whole\r\n", "END\r\n");
    EXPECT_TRUE(reply == "VALUE whole 0 " + std::to_string(size) + "\r\n" + value + "\r\nEND\r\n")
        << "reply of " << reply.size() << " bytes differs from the stored value";
    const QueueCounters& counters = datapath_->worker(0).counters();
    EXPECT_EQ(counters.tx_frames.load(), datagrams);
    EXPECT_EQ(counters.tx_buffered.load(), buffered);
    EXPECT_EQ(counters.tx_dropped_no_frame.load() + counters.tx_dropped_ring_full.load(), 0u);
  }

  // Waits until every worker's sent frames have completed.
  void waitIdle() {
    for (int i = 0; i < 200; ++i) {
      bool idle = true;
      for (size_t q = 0; q < datapath_->queues(); ++q) {
        idle = idle && datapath_->worker(q).counters().frames_in_tx.load() == 0;
      }
      if (idle) {
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
  }

  store::SystemClock clock_;
  store::StoreConfig store_config_;   // what start() gives the store
  proto::StatsRegistry stats_;
  std::unique_ptr<VethNamespaces> net_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<proto::Engine> engine_;
  std::unique_ptr<xdp::AllowListMaps> allow_maps_;
  std::unique_ptr<InterfaceDatapath> datapath_;
};

TEST_F(AfxdpDatapathTest, SetThenGetOverIpv4WithExactBytes) {
  start(1);
  EXPECT_NE(datapath_->summary().find("XDP native, AF_XDP copy"), std::string::npos)
      << datapath_->summary();
  UdpClient client(AF_INET, VethNamespaces::kServerIpv4);
  EXPECT_EQ(client.exchange(1, "set k 5 0 5\r\nhello\r\n", "\r\n"), "STORED\r\n");
  EXPECT_EQ(client.exchange(2, "get k\r\n", "END\r\n"), "VALUE k 5 5\r\nhello\r\nEND\r\n");
  EXPECT_EQ(client.exchange(3, "get nothing\r\n", "END\r\n"), "END\r\n");
  EXPECT_EQ(datapath_->worker(0).counters().rx_malformed.load(), 0u);

  // `stats` shows the program's and the workers' counters.
  std::map<std::string, uint64_t> stats;
  for (const auto& [name, value] : stats_.sourceStats()) stats[name] = value;
  EXPECT_EQ(stats.at("xdp_redirect"), 3u);
  EXPECT_EQ(stats.at("xdp_redirect_no_socket"), 0u);
  EXPECT_EQ(stats.at("afxdp_rx_frames"), 3u);
  EXPECT_EQ(stats.at("afxdp_tx_frames"), 3u);
  EXPECT_EQ(stats.at("afxdp_tx_dropped_ring_full"), 0u);
  ASSERT_TRUE(net_->enterServer());   // detach where the interface is
  datapath_.reset();
  EXPECT_TRUE(stats_.sourceStats().empty());
}

// The kernel of this VM has no 802.1Q devices, so the client writes the
// tagged request and reads the reply as raw frames on its end of the veth.
TEST_F(AfxdpDatapathTest, VlanTaggedRequestGetsATaggedReply) {
  start(1);
  storeItem("v", "over VLAN 100");
  RawEthernet raw(VethNamespaces::kClientInterface);
  const std::vector<uint8_t> request = testing::Pkt()
                                           .from({0x02, 0, 0, 0xc9, 0, 0x02}, {10, 201, 0, 2})
                                           .to({0x02, 0, 0, 0xc9, 0, 0x01}, {10, 201, 0, 1})
                                           .vlan(100)
                                           .ipv4()
                                           .udp(kPort, 40000)
                                           .mcFrame(9)
                                           .payload("get v\r\n")
                                           .build();
  raw.send(request);
  const std::optional<RawEthernet::UdpFrame> reply = raw.receiveUdpFrom(kPort, 2s);
  ASSERT_TRUE(reply.has_value()) << "no reply to the tagged request";
  EXPECT_EQ(reply->vlan, 100) << "the reply left without the request's VLAN tag";
  EXPECT_EQ(reply->payload, std::string("\0\x09\0\0\0\x01\0\0", 8) + "VALUE v 0 13\r\nover VLAN 100\r\nEND\r\n");
  EXPECT_EQ(datapath_->worker(0).counters().rx_malformed.load(), 0u);
}

TEST_F(AfxdpDatapathTest, GetOverIpv6) {
  start(1);
  storeItem("six", "over IPv6");
  UdpClient client(AF_INET6, VethNamespaces::kServerIpv6);
  EXPECT_EQ(client.exchange(7, "get six\r\n", "END\r\n"), "VALUE six 0 9\r\nover IPv6\r\nEND\r\n");
}

TEST_F(AfxdpDatapathTest, ReplyLargerThanTheTxRingArrivesWhole) {
  start(1);
  // Four items of about 1 MB: ~2900 datagrams, more than the 2048 frames a
  // worker keeps for TX, so the reply goes through TX back-pressure.
  std::string expected;
  std::string keys;
  for (int i = 0; i < 4; ++i) {
    const std::string value = patterned(1000000, i);
    const std::string key = "big" + std::to_string(i);
    storeItem(key, value);
    keys += " " + key;
    expected += "VALUE " + key + " 0 1000000\r\n" + value + "\r\n";
  }
  expected += "END\r\n";
  UdpClient client(AF_INET, VethNamespaces::kServerIpv4);
  const std::string reply = client.exchange(9, "get" + keys + "\r\n", "END\r\n");
  EXPECT_EQ(reply.size(), expected.size());
  EXPECT_TRUE(reply == expected) << "reply differs from the stored values";
  const QueueCounters& counters = datapath_->worker(0).counters();
  EXPECT_EQ(counters.tx_dropped_no_frame.load() + counters.tx_dropped_ring_full.load(), 0u);
  EXPECT_GE(counters.tx_frames.load(), 2800u);
  // Each item is a message of its own, numbered from 0: every datagram went
  // out of a lent frame, copied once.
  EXPECT_EQ(counters.tx_buffered.load(), 0u);
}

TEST_F(AfxdpDatapathTest, AOneMegabyteGetHitIsCopiedOnlyOnce) {
  start(1);
  // 719 datagrams, each copied once from the item into its frame.
  expectWholeGet(1000000, 719, 0);
}

TEST_F(AfxdpDatapathTest, AnItemLongerThanTheLentFramesArrivesWhole) {
  store_config_.max_item_size = 4 << 20;
  DatapathOptions options;
  options.max_item_size = store_config_.max_item_size;
  start(1, options);
  // 2156 datagrams: 1024 from lent frames, the rest through the buffer.
  expectWholeGet(3000000, 2156, 2156 - 1024);
}

TEST_F(AfxdpDatapathTest, NoFrameLeaksOverManyRequests) {
  start(1);
  storeItem("k", "v");
  storeItem("big", std::string(5000, 'b'));   // a reply of 4 datagrams
  UdpClient client(AF_INET, VethNamespaces::kServerIpv4);
  ASSERT_EQ(client.exchange(1, "get k\r\n", "END\r\n"), "VALUE k 0 1\r\nv\r\nEND\r\n");
  waitIdle();
  const QueueWorker& worker = datapath_->worker(0);
  const QueueCounters& counters = worker.counters();
  const uint64_t free_before = counters.frames_free.load();
  const uint64_t fill_before = counters.frames_in_fill.load();
  EXPECT_EQ(free_before + fill_before, worker.frames());

  // A million requests in flight 32 at a time: hits of one and of four
  // datagrams, misses, and a malformed request at the end.
  constexpr int kRequests = 1000000;
  constexpr int kWindow = 32;
  int sent = 0;
  int answered = 0;   // replies, and requests given up on after 200 ms
  int replies = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::vector<char> buffer(2048);
  while (answered < kRequests && std::chrono::steady_clock::now() < deadline) {
    while (sent < kRequests && sent - answered < kWindow) {
      const char* request = sent % 3 == 0 ? "get nothing\r\n" : sent % 7 == 0 ? "get big\r\n" : "get k\r\n";
      client.send(static_cast<uint16_t>(sent), request);
      ++sent;
    }
    pollfd pfd{client.fd(), POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0) {
      answered = sent;   // a lost datagram: move on (counted below)
      continue;
    }
    // A reply is answered with its last datagram (sequence total - 1).
    while (recv(client.fd(), buffer.data(), buffer.size(), MSG_DONTWAIT) >= 8) {
      const auto byte = [&](int i) { return static_cast<uint8_t>(buffer[i]); };
      if ((byte(2) << 8 | byte(3)) + 1 == (byte(4) << 8 | byte(5))) {
        ++answered;
        ++replies;
      }
    }
  }
  client.send(1, "");   // header only: dropped as too short by the framing
  waitIdle();
  std::this_thread::sleep_for(50ms);
  EXPECT_GE(counters.tx_frames.load(), static_cast<uint64_t>(kRequests));
  EXPECT_GT(replies, kRequests - kRequests / 1000);   // a few losses at most
  EXPECT_EQ(counters.frames_in_tx.load(), 0u);
  EXPECT_EQ(counters.frames_free.load(), free_before);
  EXPECT_EQ(counters.frames_in_fill.load(), fill_before);
  EXPECT_EQ(counters.frames_free.load() + counters.frames_in_fill.load(), worker.frames());
}

// The CPUs a thread of this process named `name` may run on, as
// /proc/PID/task/TID/status lists them ("0-1"); empty if there is none.
std::string cpusOfThread(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string comm_name;
    std::getline(comm, comm_name);
    if (comm_name != name) {
      continue;
    }
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("Cpus_allowed_list:", 0) == 0) {
        return line.substr(line.find_first_not_of(" \t", 18));
      }
    }
  }
  return {};
}

TEST_F(AfxdpDatapathTest, TwoQueuesAreServedByTwoWorkers) {
  DatapathOptions options;
  options.cpus = {1, 0};   // --cpus 1,0: queue 0 on CPU 1, queue 1 on CPU 0
  start(2, options);
  ASSERT_EQ(datapath_->queues(), 2u);
  EXPECT_NE(datapath_->summary().find("workers on CPUs 1,0"), std::string::npos) << datapath_->summary();
  const std::string prefix = std::string("xsk:") + VethNamespaces::kServerInterface + "/";
  EXPECT_EQ(cpusOfThread(prefix + "0"), "1");
  EXPECT_EQ(cpusOfThread(prefix + "1"), "0");
  storeItem("q", "either queue");
  // Flows hash onto the client's two TX queues, which feed the server's two
  // RX queues: with enough source ports both workers get requests.
  for (int i = 0; i < 32; ++i) {
    UdpClient client(AF_INET, VethNamespaces::kServerIpv4);
    EXPECT_EQ(client.exchange(static_cast<uint16_t>(i), "get q\r\n", "END\r\n"),
              "VALUE q 0 12\r\neither queue\r\nEND\r\n");
  }
  EXPECT_GT(datapath_->worker(0).counters().rx_frames.load(), 0u);
  EXPECT_GT(datapath_->worker(1).counters().rx_frames.load(), 0u);
  EXPECT_EQ(datapath_->worker(0).counters().rx_frames.load() +
                datapath_->worker(1).counters().rx_frames.load(),
            32u);
}

// XDP drops them: the worker never sees one.
TEST_F(AfxdpDatapathTest, SourcesOutsideAllowGetNoAnswer) {
  DatapathOptions options;
  options.allow = std::make_shared<udp::AllowList>(std::vector{*config::Cidr::parse("192.168.0.0/16")});
  start(1, options);
  UdpClient client(AF_INET, VethNamespaces::kServerIpv4);
  client.send(1, "get k\r\n");
  EXPECT_EQ(client.receive(1, "END\r\n", 300ms), "");
  EXPECT_EQ(datapath_->attachment().counter(UNBUCKLE_XDP_drop_denied), 1u);
  EXPECT_EQ(datapath_->worker(0).counters().rx_frames.load(), 0u);
  EXPECT_EQ(stats_.sum(&proto::WorkerStats::udp_dropped_denied), 0u);
}

// The workers check again: a source XDP lets through that their list does
// not hold is refused there.
TEST_F(AfxdpDatapathTest, TheWorkersCheckTheSourceAgain) {
  auto maps = xdp::AllowListMaps::create({*config::Cidr::parse("0.0.0.0/0")});
  ASSERT_TRUE(maps.ok()) << maps.error();
  DatapathOptions options;
  options.allow = std::make_shared<udp::AllowList>(std::vector{*config::Cidr::parse("192.168.0.0/16")});
  options.allow_maps = maps.value()->fds();
  start(1, options);
  UdpClient client(AF_INET, VethNamespaces::kServerIpv4);
  client.send(1, "get k\r\n");
  EXPECT_EQ(client.receive(1, "END\r\n", 300ms), "");
  EXPECT_EQ(stats_.sum(&proto::WorkerStats::udp_dropped_denied), 1u);
}

std::string sysctl(const std::string& name) { return shell("sysctl -n " + name); }

TEST_F(AfxdpDatapathTest, LoopbackServesThroughGenericXdpAndRestoresItsSysctls) {
  // The server namespace's own lo, never the host's. Both sysctls start at 0 there.
  const std::string before = "0\n";
  startOn("lo", 1, DatapathOptions{});
  ASSERT_TRUE(datapath_);
  EXPECT_NE(datapath_->summary().find("lo (loopback): XDP skb, AF_XDP copy"), std::string::npos)
      << datapath_->summary();
  EXPECT_EQ(sysctl("net.ipv4.conf.lo.route_localnet"), "1\n");
  EXPECT_EQ(sysctl("net.ipv4.conf.lo.accept_local"), "1\n");
  ASSERT_NE(shell("ip route get 127.0.0.1").find("dev lo"), std::string::npos);
  {
    UdpClient client(AF_INET, "127.0.0.1");
    EXPECT_EQ(client.exchange(1, "set lo 1 0 2\r\nok\r\n", "\r\n"), "STORED\r\n");
    EXPECT_EQ(client.exchange(2, "get lo\r\n", "END\r\n"), "VALUE lo 1 2\r\nok\r\nEND\r\n");
    UdpClient client6(AF_INET6, "::1");
    EXPECT_EQ(client6.exchange(3, "get lo\r\n", "END\r\n"), "VALUE lo 1 2\r\nok\r\nEND\r\n");
  }
  EXPECT_EQ(datapath_->worker(0).counters().rx_frames.load(), 3u);
  datapath_.reset();
  EXPECT_EQ(sysctl("net.ipv4.conf.lo.route_localnet"), before);
  EXPECT_EQ(sysctl("net.ipv4.conf.lo.accept_local"), before);
}

// The room in bpf_abi.h is the kernel's: with the program told to redirect
// frames of every length, an AF_XDP socket (here on the server namespace's
// lo, MTU 65536) receives a frame of exactly UNBUCKLE_XSK_RX_ROOM bytes, and
// the kernel drops one a byte longer, counting it in XDP_STATISTICS
// rx_dropped (afxdp_kernel_rx_dropped in `stats`). The daemon's program
// passes such frames to the kernel instead (tests/bpf, afxdp_sizes.py).
TEST_F(AfxdpDatapathTest, TheKernelTakesFramesUpToTheRoomAndCountsLongerOnesAsDropped) {
  net_ = std::make_unique<VethNamespaces>(1);
  ASSERT_EQ(net_->error(), "");
  ASSERT_TRUE(net_->enterServer()) << net_->error();
  auto allow = xdp::AllowListMaps::create({*config::Cidr::parse("127.0.0.0/8")});
  ASSERT_TRUE(allow.ok()) << allow.error();
  auto attachment = xdp::XdpAttachment::attach(xdp::AttachOptions{
      "lo", config::XdpMode::kSkb, kPort, net_->pinRoot(), UINT32_MAX, std::nullopt, allow.value()->fds()});
  ASSERT_TRUE(attachment.ok()) << attachment.error();
  auto umem = Umem::create(Umem::Layout{InterfaceDatapath::kFillRingSize, InterfaceDatapath::kRingSize});
  ASSERT_TRUE(umem.ok()) << umem.error();
  auto created = XskSocket::create(*umem.value(), "lo", 0, SocketOptions{});
  ASSERT_TRUE(created.ok()) << created.error();
  XskSocket& socket = *created.value();
  ASSERT_EQ(socket.insertInto(attachment.value()->xsksMapFd()), 0);
  constexpr uint32_t kFrames = 16;
  uint32_t index = 0;
  ASSERT_EQ(socket.fill().reserve(kFrames, index), kFrames);
  for (uint32_t i = 0; i < kFrames; ++i) {
    socket.fill().set(index + i, uint64_t{i} * kFrameSize);
  }
  socket.fill().submit(kFrames);

  // Ethernet, IPv4 and UDP headers, and the 8 bytes UdpClient::send adds.
  const size_t fitting = UNBUCKLE_XSK_RX_ROOM - 14 - 20 - 8 - 8;
  UdpClient client(AF_INET, "127.0.0.1");
  client.send(1, std::string(fitting, 'f'));
  client.send(2, std::string(fitting + 1, 'g'));
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  uint32_t received = 0;
  while ((received == 0 || socket.statistics().rx_dropped == 0) && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{socket.fd(), POLLIN, 0};
    poll(&pfd, 1, 50);
    received = socket.rx().peek(kFrames, index);
  }
  ASSERT_EQ(received, 1u);
  EXPECT_EQ(socket.rx().descriptor(index).len, UNBUCKLE_XSK_RX_ROOM);
  socket.rx().release(1);
  const xdp_statistics statistics = socket.statistics();
  EXPECT_EQ(statistics.rx_dropped, 1u);
  EXPECT_EQ(statistics.rx_ring_full + statistics.rx_fill_ring_empty_descs + statistics.rx_invalid_descs, 0u);
}

}  // namespace
}  // namespace unbuckle::afxdp
