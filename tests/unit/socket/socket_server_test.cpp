// The socket datapaths end to end on loopback, with the real engine and
// store: TCP framing (pipelining, partial reads and writes, large values,
// quit, the connection limit), UDP framing and source filtering, and stop.
#include "socket/socket_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "proto/engine.h"
#include "proto/stats.h"
#include "store/clock.h"
#include "store/store.h"
#include "unbuckle/mc_udp_frame.h"

namespace unbuckle::net {
namespace {

using namespace std::string_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kTimeout = std::chrono::seconds(5);

sockaddr_in loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Counters are bumped after the reply is sent: give the worker a moment.
template <typename Predicate>
bool eventually(Predicate predicate) {
  const auto deadline = Clock::now() + kTimeout;
  while (!predicate() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return predicate();
}

bool waitFor(int fd, short events, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  pollfd p{fd, events, 0};
  return left.count() > 0 && poll(&p, 1, static_cast<int>(left.count())) == 1;
}

class TcpClient {
 public:
  explicit TcpClient(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    const sockaddr_in address = loopback(port);
    connected_ = connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  bool connected() const { return connected_; }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads until `n` bytes arrived, the peer closed, or the timeout.
  std::string read(size_t n) {
    std::string bytes;
    const auto deadline = Clock::now() + kTimeout;
    char buffer[65536];
    while (bytes.size() < n && waitFor(fd_.get(), POLLIN, deadline)) {
      const ssize_t got = recv(fd_.get(), buffer, std::min(sizeof buffer, n - bytes.size()), 0);
      if (got <= 0) {
        closed_ = true;
        break;
      }
      bytes.append(buffer, static_cast<size_t>(got));
    }
    return bytes;
  }

  // Reads until the bytes end with `suffix` (or the peer closed, or the timeout).
  std::string readUntil(std::string_view suffix) {
    std::string bytes;
    while (!bytes.ends_with(suffix)) {
      const std::string more = read(1);
      if (more.empty()) break;
      bytes += more;
    }
    return bytes;
  }

  // True once the server closed the connection (EOF within the timeout).
  bool closedByServer() {
    if (closed_) {
      return true;
    }
    char byte;
    return waitFor(fd_.get(), POLLIN, Clock::now() + kTimeout) && recv(fd_.get(), &byte, 1, 0) == 0;
  }

  void shutdownWrite() { shutdown(fd_.get(), SHUT_WR); }

 private:
  FileDescriptor fd_;
  bool connected_ = false;
  bool closed_ = false;
};

class UdpClient {
 public:
  explicit UdpClient(uint16_t port) : fd_(socket(AF_INET, SOCK_DGRAM, 0)), port_(port) {}

  void send(std::string_view datagram) {
    const sockaddr_in address = loopback(port_);
    ASSERT_EQ(sendto(fd_.get(), datagram.data(), datagram.size(), 0,
                     reinterpret_cast<const sockaddr*>(&address), sizeof address),
              static_cast<ssize_t>(datagram.size()));
  }

  void request(uint16_t id, std::string_view payload) {
    std::string datagram(8, '\0');
    writeFrameHeader(FrameHeader{id, 0, 1, 0}, datagram.data());
    send(datagram.append(payload));
  }

  // The next datagram, or nullopt after `wait`.
  std::optional<std::string> receive(std::chrono::milliseconds wait = kTimeout) {
    if (!waitFor(fd_.get(), POLLIN, Clock::now() + wait)) {
      return std::nullopt;
    }
    char buffer[65536];
    const ssize_t n = recv(fd_.get(), buffer, sizeof buffer, 0);
    return n < 0 ? std::nullopt : std::optional<std::string>(std::string(buffer, n));
  }

 private:
  FileDescriptor fd_;
  uint16_t port_;
};

class SocketServerTest : public ::testing::Test {
 protected:
  void start(SocketServerConfig config = {}) {
    store_ = std::make_unique<store::Store>(store::StoreConfig{}, clock_);
    engine_ = std::make_unique<proto::Engine>(*store_, proto::EngineConfig{}, stats_);
    config.listen = listen_;
    config.threads = 2;
    std::mt19937 random(std::random_device{}());
    for (int attempt = 0; attempt < 50 && !server_; ++attempt) {
      port_ = static_cast<uint16_t>(20000 + random() % 30000);
      config.udp_port = config.udp_port == 0 ? 0 : port_;
      config.tcp_port = config.tcp_port == 0 ? 0 : port_;
      auto created = SocketServer::create(config, *engine_, stats_);
      if (created.ok()) {
        server_ = std::move(created.value());
      }
    }
    ASSERT_TRUE(server_);
    server_->start();
  }

  void TearDown() override {
    if (server_) {
      server_->stop();
    }
  }

  uint64_t sum(proto::Counter proto::WorkerStats::*field) const { return stats_.sum(field); }

  std::string header(uint16_t id, uint16_t seq, uint16_t total) {
    std::string h(8, '\0');
    writeFrameHeader(FrameHeader{id, seq, total, 0}, h.data());
    return h;
  }

  store::SystemClock clock_;
  proto::StatsRegistry stats_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<proto::Engine> engine_;
  std::unique_ptr<SocketServer> server_;
  uint16_t port_ = 0;
  std::string listen_ = "127.0.0.1";   // "": every address, as without --listen
};

// Sends `bytes` to [::1]:port over TCP or UDP and returns the first reply,
// or nullopt when nothing listens there (refused, or silence).
std::optional<std::string> askIpv6(int type, uint16_t port, std::string_view bytes) {
  FileDescriptor fd(socket(AF_INET6, type, 0));
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_port = htons(port);
  address.sin6_addr = in6addr_loopback;
  if (!fd || connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()) ||
      !waitFor(fd.get(), POLLIN, Clock::now() + std::chrono::milliseconds(500))) {
    return std::nullopt;
  }
  char buffer[2048];
  const ssize_t n = recv(fd.get(), buffer, sizeof buffer, 0);
  return n <= 0 ? std::nullopt : std::optional<std::string>(std::string(buffer, static_cast<size_t>(n)));
}

TEST_F(SocketServerTest, TcpSetAndGet) {
  start();
  TcpClient client(port_);
  ASSERT_TRUE(client.connected());
  client.send("set a 5 0 3\r\nabc\r\n");
  EXPECT_EQ(client.read(8), "STORED\r\n");
  client.send("get a\r\n");
  const std::string hit = "VALUE a 5 3\r\nabc\r\nEND\r\n";
  EXPECT_EQ(client.read(hit.size()), hit);
  EXPECT_EQ(stats_.connections().curr_connections, 1u);
  EXPECT_EQ(stats_.connections().total_connections, 3u + 1u);   // the server's own 3, then the client
  EXPECT_EQ(sum(&proto::WorkerStats::bytes_read), 25u);
  EXPECT_TRUE(eventually([&] { return sum(&proto::WorkerStats::bytes_written) == 8 + hit.size(); }));
}

TEST_F(SocketServerTest, TcpPipelinedRequestsInOneWrite) {
  start();
  TcpClient client(port_);
  client.send("set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\nget a b\r\nget missing\r\nversion\r\n");
  const std::string expected =
      "STORED\r\nSTORED\r\nVALUE a 0 1\r\n1\r\nVALUE b 0 1\r\n2\r\nEND\r\nEND\r\nVERSION ";
  EXPECT_EQ(client.read(expected.size()), expected);
}

// memcached 1.6.18 (t/lru-crawler.t): a metadump behind a reply that is
// still waiting to be sent is refused; alone it is answered.
TEST_F(SocketServerTest, MetadumpAfterAPipelinedCommandIsRefused) {
  start();
  TcpClient client(port_);
  client.send("set a 0 0 1\r\n1\r\nmg a v\r\nlru_crawler metadump all\r\n");
  const std::string refused = "STORED\r\nVA 1\r\n1\r\nERROR cannot pipeline other commands before metadump\r\n";
  EXPECT_EQ(client.read(refused.size()), refused);
  client.send("lru_crawler metadump all\r\n");
  const std::string dump = client.read(std::string("key=a exp=-1").size());
  EXPECT_EQ(dump, "key=a exp=-1");
}

TEST_F(SocketServerTest, TcpRequestsSplitAtEveryByte) {
  start();
  TcpClient client(port_);
  const std::string requests = "set key 0 0 5\r\nhello\r\nget key\r\n";
  for (char c : requests) {
    client.send(std::string(1, c));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::string expected = "STORED\r\nVALUE key 0 5\r\nhello\r\nEND\r\n";
  EXPECT_EQ(client.read(expected.size()), expected);
}

TEST_F(SocketServerTest, TcpLargeValues) {
  start();
  TcpClient client(port_);
  std::string value(1000000, '\0');
  for (size_t i = 0; i < value.size(); ++i) {
    value[i] = static_cast<char>('a' + i % 26);
  }
  client.send("set big 0 0 1000000\r\n" + value + "\r\n");
  EXPECT_EQ(client.read(8), "STORED\r\n");
  // Several large replies requested before any is read: partial writes and
  // the output backlog limit are exercised.
  client.send("get big\r\nget big\r\nget big\r\n");
  const std::string hit = "VALUE big 0 1000000\r\n" + value + "\r\nEND\r\n";
  EXPECT_EQ(client.read(3 * hit.size()), hit + hit + hit);
}

TEST_F(SocketServerTest, TcpTooLargeValueIsSwallowed) {
  start();
  TcpClient client(port_);
  client.send("set huge 0 0 2000000\r\n");
  const std::string error = "SERVER_ERROR object too large for cache\r\n";
  EXPECT_EQ(client.read(error.size()), error);
  client.send(std::string(2000000, 'x') + "\r\nget huge\r\n");
  EXPECT_EQ(client.read(5), "END\r\n");
}

TEST_F(SocketServerTest, TcpQuitClosesAfterEarlierReplies) {
  start();
  TcpClient client(port_);
  client.send("version\r\nquit\r\nversion\r\n");
  const std::string replies = client.read(1000);   // everything until the server closes
  EXPECT_EQ(replies.rfind("VERSION ", 0), 0u) << replies;
  EXPECT_EQ(replies.find("VERSION ", 1), std::string::npos) << replies;
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(SocketServerTest, TcpRepliesAfterThePeerShutsDownItsSide) {
  start();
  TcpClient client(port_);
  client.send("set a 0 0 1\r\nx\r\nget a\r\n");
  client.shutdownWrite();
  const std::string expected = "STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\n";
  EXPECT_EQ(client.read(expected.size()), expected);
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(SocketServerTest, TcpConnectionLimit) {
  SocketServerConfig config;
  config.max_connections = 2;
  start(config);
  TcpClient a(port_);
  TcpClient b(port_);
  a.send("version\r\n");
  b.send("version\r\n");
  EXPECT_EQ(a.read(8), "VERSION ");
  EXPECT_EQ(b.read(8), "VERSION ");
  TcpClient c(port_);
  const std::string refusal = "ERROR Too many open connections\r\n";
  EXPECT_EQ(c.read(refusal.size()), refusal);
  EXPECT_TRUE(c.closedByServer());
  EXPECT_TRUE(eventually([&] { return stats_.connections().rejected_connections == 1; }));
  EXPECT_EQ(stats_.connections().curr_connections, 2u);
}

TEST_F(SocketServerTest, TcpDisabled) {
  SocketServerConfig config;
  config.tcp_port = 0;
  start(config);
  EXPECT_FALSE(TcpClient(port_).connected());
  UdpClient udp(port_);
  udp.request(1, "version\r\n");
  EXPECT_TRUE(udp.receive());
}

TEST_F(SocketServerTest, UdpGetEchoesRequestId) {
  start();
  TcpClient tcp(port_);
  tcp.send("set foo 0 0 6\r\nfooval\r\n");
  ASSERT_EQ(tcp.read(8), "STORED\r\n");
  UdpClient udp(port_);
  for (uint16_t id : {161, 161, 162}) {
    udp.request(id, "get foo\r\n");
    EXPECT_EQ(udp.receive(), header(id, 0, 1) + "VALUE foo 0 6\r\nfooval\r\nEND\r\n");
  }
  EXPECT_EQ(sum(&proto::WorkerStats::udp_datagrams_in), 3u);
  EXPECT_TRUE(eventually([&] { return sum(&proto::WorkerStats::udp_datagrams_out) == 3; }));
}

TEST_F(SocketServerTest, UdpLargeReplySpansDatagrams) {
  start();
  TcpClient tcp(port_);
  const std::string value(20000, 'v');
  tcp.send("set bigvalue 0 0 20000\r\n" + value + "\r\n");
  ASSERT_EQ(tcp.read(8), "STORED\r\n");
  UdpClient udp(port_);
  udp.request(53, "get bigvalue\r\n");
  const std::string reply = "VALUE bigvalue 0 20000\r\n" + value + "\r\nEND\r\n";
  const size_t total = (reply.size() + 1391) / 1392;
  std::vector<std::string> parts(total);
  for (size_t i = 0; i < total; ++i) {
    const auto datagram = udp.receive();
    ASSERT_TRUE(datagram);
    const FrameHeader h = readFrameHeader(datagram->data());
    EXPECT_EQ(h.request_id, 53);
    EXPECT_EQ(h.total, total);
    EXPECT_EQ(h.reserved, 0);
    ASSERT_LT(h.sequence, total);
    parts[h.sequence] = datagram->substr(8);
  }
  std::string joined;
  for (const std::string& part : parts) {
    joined += part;
  }
  EXPECT_EQ(joined, reply);
}

TEST_F(SocketServerTest, UdpQuitIsAHeaderOnlyDatagram) {
  start();
  UdpClient udp(port_);
  udp.request(0x0102, "quit\r\n");
  EXPECT_EQ(udp.receive(), "\x01\x02\x00\x00\x00\x00\x00\x00"s);
}

TEST_F(SocketServerTest, UdpDropsShortAndMultiPacketRequests) {
  start();
  UdpClient udp(port_);
  udp.send("\x00\x01\x00\x00\x00\x01\x00\x00"s);
  udp.send(header(2, 0, 2) + "get a\r\n");
  udp.request(3, "version\r\n");
  const auto reply = udp.receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(readFrameHeader(reply->data()).request_id, 3);
  EXPECT_FALSE(udp.receive(std::chrono::milliseconds(100)));
  EXPECT_EQ(sum(&proto::WorkerStats::udp_dropped_short), 1u);
  EXPECT_EQ(sum(&proto::WorkerStats::udp_dropped_multipacket), 1u);
}

TEST_F(SocketServerTest, UdpAnswersOnlyAllowedSources) {
  SocketServerConfig config;
  config.allow = std::make_shared<udp::AllowList>(std::vector{*config::Cidr::parse("10.0.0.0/8")});
  start(config);
  UdpClient udp(port_);
  udp.request(1, "version\r\n");
  EXPECT_FALSE(udp.receive(std::chrono::milliseconds(200)));
  EXPECT_TRUE(eventually([&] { return sum(&proto::WorkerStats::udp_dropped_denied) == 1; }));
  TcpClient tcp(port_);   // the ACL is for UDP only
  tcp.send("version\r\n");
  EXPECT_EQ(tcp.read(8), "VERSION ");
}

TEST_F(SocketServerTest, StopClosesConnectionsAndJoins) {
  start();
  TcpClient client(port_);
  client.send("version\r\n");
  ASSERT_EQ(client.read(8), "VERSION ");
  const auto begin = Clock::now();
  server_->stop();
  EXPECT_LT(Clock::now() - begin, std::chrono::seconds(1));
  client.read(100);
  EXPECT_TRUE(client.closedByServer());
  server_.reset();
}

// memcached's `stats conns`: its one listener, one UDP socket per worker,
// then every client with its peer and local address and what it is doing.
// The SO_REUSEPORT group of listeners is listed once, as memcached's one.
TEST_F(SocketServerTest, StatsConnsListsEverySocket) {
  start();
  const std::string port = std::to_string(port_);
  TcpClient idle(port_);
  idle.send("version\r\n");
  ASSERT_EQ(idle.readUntil("\r\n").substr(0, 8), "VERSION ");
  TcpClient mid_value(port_);
  mid_value.send("set k 0 0 10\r\nab");
  TcpClient asking(port_);
  ASSERT_TRUE(eventually([&] { return stats_.connections().curr_connections == 3; }));
  asking.send("stats conns\r\n");
  const std::string reply = asking.readUntil("END\r\n");

  const std::vector<proto::ConnectionInfo> sockets = stats_.connectionList();
  ASSERT_EQ(sockets.size(), 1u + 2u + 3u);   // the listener, 2 workers' UDP, 3 clients
  size_t listening = 0, udp = 0, reading = 0, parsing = 0, nread = 0;
  for (const auto& c : sockets) {
    EXPECT_NE(reply.find("STAT " + std::to_string(c.fd) + ":addr " + c.addr + "\r\n"), std::string::npos);
    if (c.state == "conn_listening") {
      ++listening;
      EXPECT_EQ(c.addr, "tcp:127.0.0.1:" + port);
      EXPECT_EQ(c.listen_addr, "");
    } else if (c.udp) {
      ++udp;
      EXPECT_EQ(c.addr, "udp:127.0.0.1:" + port);
      EXPECT_EQ(c.state, "conn_read");
      EXPECT_NE(reply.find("STAT " + std::to_string(c.fd) + ":UDP UDP\r\n"), std::string::npos);
    } else {
      EXPECT_EQ(c.addr.rfind("tcp:127.0.0.1:", 0), 0u) << c.addr;
      EXPECT_EQ(c.listen_addr, "tcp:127.0.0.1:" + port);
      reading += c.state == "conn_read";
      nread += c.state == "conn_nread";
      parsing += c.state == "conn_parse_cmd";   // the one asking, while it runs `stats conns`
    }
  }
  EXPECT_EQ(listening, 1u);
  EXPECT_EQ(udp, 2u);
  EXPECT_EQ(reading + parsing, 2u);
  EXPECT_EQ(nread, 1u);
  EXPECT_NE(reply.find(":state conn_parse_cmd\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find(":state conn_nread\r\n"), std::string::npos) << reply;

  server_->stop();
  EXPECT_TRUE(stats_.connectionList().empty());
}

// memcached -t 2 -l 127.0.0.1 -p P -U P holds 3 conns of its own (the
// listener, a UDP one per thread) and prints one less than it holds: one
// client asking `stats` reads curr_connections 3, total_connections 4.
TEST_F(SocketServerTest, ConnectionCountsAsMemcachedWithTheSameThreads) {
  start();
  TcpClient client(port_);
  client.send("stats\r\n");
  const std::string reply = client.readUntil("END\r\n");
  EXPECT_NE(reply.find("STAT curr_connections 3\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("STAT total_connections 4\r\n"), std::string::npos) << reply;
  EXPECT_EQ(stats_.connections().server_conns, 3u);
  server_->stop();
  EXPECT_EQ(stats_.connections().server_conns, 0u);
}

// Without UDP (memcached -U 0) only the listener is its own.
TEST_F(SocketServerTest, ConnectionCountsWithoutUdp) {
  SocketServerConfig config;
  config.udp_port = 0;
  start(config);
  TcpClient client(port_);
  client.send("stats\r\n");
  const std::string reply = client.readUntil("END\r\n");
  EXPECT_NE(reply.find("STAT curr_connections 1\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("STAT total_connections 2\r\n"), std::string::npos) << reply;
}

// Without --listen, as memcached without -l: IPv4 and IPv6, each its own
// listener and UDP sockets (IPv6 ones IPv6 only), all in `stats conns` and
// the counts (2 listeners + 2 x 2 UDP conns, less one).
TEST_F(SocketServerTest, EveryAddressByDefaultIncludesIpv6) {
  listen_ = "";
  SocketServerConfig config;
  config.allow = std::make_shared<udp::AllowList>(
      std::vector{*config::Cidr::parse("127.0.0.0/8"), *config::Cidr::parse("::1/128")});
  start(config);
  EXPECT_EQ(askIpv6(SOCK_STREAM, port_, "version\r\n").value_or("").substr(0, 8), "VERSION ");
  EXPECT_EQ(askIpv6(SOCK_DGRAM, port_, header(7, 0, 1) + "version\r\n").value_or("").substr(0, 16),
            header(7, 0, 1) + "VERSION ");
  ASSERT_TRUE(eventually([&] { return stats_.connections().curr_connections == 0; }));
  TcpClient v4(port_);
  v4.send("stats\r\n");
  const std::string reply = v4.readUntil("END\r\n");
  EXPECT_NE(reply.find("STAT curr_connections 6\r\n"), std::string::npos) << reply;
  const std::string port = std::to_string(port_);
  std::vector<std::string> listeners, udp;
  for (const auto& c : stats_.connectionList()) {
    if (c.state == "conn_listening") listeners.push_back(c.addr);
    if (c.udp) udp.push_back(c.addr);
  }
  std::sort(listeners.begin(), listeners.end());
  std::sort(udp.begin(), udp.end());
  EXPECT_EQ(listeners, (std::vector<std::string>{"tcp6:[::]:" + port, "tcp:0.0.0.0:" + port}));
  EXPECT_EQ(udp, (std::vector<std::string>{"udp6:[::]:" + port, "udp6:[::]:" + port,
                                           "udp:0.0.0.0:" + port, "udp:0.0.0.0:" + port}));
}

// An address given is the only one: nothing answers on IPv6.
TEST_F(SocketServerTest, GivenIpv4AddressDoesNotListenOnIpv6) {
  start();
  EXPECT_EQ(askIpv6(SOCK_STREAM, port_, "version\r\n"), std::nullopt);
  EXPECT_EQ(askIpv6(SOCK_DGRAM, port_, header(7, 0, 1) + "version\r\n"), std::nullopt);
  UdpClient v4(port_);
  v4.request(7, "version\r\n");
  EXPECT_TRUE(v4.receive());
}

// -o idle_timeout: a client that sends nothing for longer is closed without
// a word and counted as idle_kicks; one in the middle of a value is not.
TEST_F(SocketServerTest, IdleTimeoutClosesIdleConnections) {
  SocketServerConfig config;
  config.idle_timeout = 1;
  start(config);
  TcpClient idle(port_);
  idle.send("version\r\n");
  ASSERT_EQ(idle.readUntil("\r\n").substr(0, 8), "VERSION ");
  TcpClient mid_value(port_);
  mid_value.send("set k 0 0 10\r\nab");
  const auto begin = Clock::now();
  EXPECT_TRUE(idle.closedByServer());
  const auto waited = Clock::now() - begin;
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_LT(waited, std::chrono::seconds(4));
  EXPECT_TRUE(eventually([&] { return sum(&proto::WorkerStats::idle_kicks) == 1; }));
  EXPECT_EQ(stats_.connections().curr_connections, 1u);
  mid_value.send("cdefghij\r\n");
  EXPECT_EQ(mid_value.readUntil("\r\n"), "STORED\r\n");
}

TEST_F(SocketServerTest, NoIdleTimeoutByDefault) {
  start();
  TcpClient client(port_);
  client.send("version\r\n");
  ASSERT_EQ(client.readUntil("\r\n").substr(0, 8), "VERSION ");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  client.send("version\r\n");
  EXPECT_EQ(client.readUntil("\r\n").substr(0, 8), "VERSION ");
  EXPECT_EQ(sum(&proto::WorkerStats::idle_kicks), 0u);
}

}  // namespace
}  // namespace unbuckle::net
