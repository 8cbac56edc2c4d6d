#include "socket/reuseport_group.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <random>

namespace unbuckle::net {
namespace {

// A loopback port free for both UDP and TCP right now.
uint16_t freePort() {
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto port = static_cast<uint16_t>(20000 + random() % 30000);
    const auto endpoint = Endpoint::parse("127.0.0.1", port);
    auto udp = openReusePortGroup(*endpoint, Protocol::kUdp, 1);
    auto tcp = openReusePortGroup(*endpoint, Protocol::kTcp, 1);
    if (udp.ok() && tcp.ok()) {
      return port;
    }
  }
  ADD_FAILURE() << "no free port";
  return 0;
}

TEST(Endpoint, ParsesAndPrintsNumericAddresses) {
  EXPECT_EQ(Endpoint::parse("127.0.0.1", 11211)->toString(), "127.0.0.1:11211");
  EXPECT_EQ(Endpoint::parse("::1", 80)->toString(), "[::1]:80");
  EXPECT_EQ(Endpoint::parse("0.0.0.0", 1)->family(), AF_INET);
  EXPECT_FALSE(Endpoint::parse("localhost", 1));
}

// IPv6 sockets are IPv6 only (memcached sets IPV6_V6ONLY): :: and 0.0.0.0
// are two groups on the same port, and an IPv4 client never reaches ::.
TEST(ReusePortGroup, Ipv6GroupsAreIpv6Only) {
  const uint16_t port = freePort();
  for (const Protocol protocol : {Protocol::kUdp, Protocol::kTcp}) {
    auto v4 = openReusePortGroup(*Endpoint::parse("0.0.0.0", port), protocol, 2);
    ASSERT_TRUE(v4.ok()) << v4.error();
    auto v6 = openReusePortGroup(*Endpoint::parse("::", port), protocol, 2);
    ASSERT_TRUE(v6.ok()) << v6.error();
    for (const FileDescriptor& fd : v6.value()) {
      int only = 0;
      socklen_t length = sizeof only;
      ASSERT_EQ(getsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &only, &length), 0);
      EXPECT_EQ(only, 1);
    }
  }
}

TEST(ReusePortGroup, OpensOneBoundSocketPerWorker) {
  const uint16_t port = freePort();
  const auto endpoint = Endpoint::parse("127.0.0.1", port);
  auto tcp = openReusePortGroup(*endpoint, Protocol::kTcp, 3);
  ASSERT_TRUE(tcp.ok()) << tcp.error();
  ASSERT_EQ(tcp.value().size(), 3u);
  auto udp = openReusePortGroup(*endpoint, Protocol::kUdp, 3);
  ASSERT_TRUE(udp.ok()) << udp.error();
  for (const FileDescriptor& fd : tcp.value()) {
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    ASSERT_EQ(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length), 0);
    EXPECT_EQ(ntohs(bound.sin_port), port);
  }
}

TEST(ReusePortGroup, RefusesAPortSomeoneElseHolds) {
  const uint16_t port = freePort();
  const auto endpoint = Endpoint::parse("127.0.0.1", port);
  auto first = openReusePortGroup(*endpoint, Protocol::kTcp, 2);
  ASSERT_TRUE(first.ok());
  // A second group (another daemon with SO_REUSEPORT too) must not join.
  auto second = openReusePortGroup(*endpoint, Protocol::kTcp, 2);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(),
            "cannot listen on 127.0.0.1:" + std::to_string(port) + " (TCP): address in use");

  auto udp_first = openReusePortGroup(*endpoint, Protocol::kUdp, 2);
  ASSERT_TRUE(udp_first.ok());
  auto udp_second = openReusePortGroup(*endpoint, Protocol::kUdp, 1);
  ASSERT_FALSE(udp_second.ok());
  EXPECT_EQ(udp_second.error(),
            "cannot listen on 127.0.0.1:" + std::to_string(port) + " (UDP): address in use");
}

TEST(ReusePortGroup, RefusesAPortHeldWithoutReusePort) {
  const uint16_t port = freePort();
  const auto endpoint = Endpoint::parse("127.0.0.1", port);
  FileDescriptor plain(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_EQ(bind(plain.get(), endpoint->get(), endpoint->length), 0);
  ASSERT_EQ(listen(plain.get(), 1), 0);
  EXPECT_FALSE(openReusePortGroup(*endpoint, Protocol::kTcp, 1).ok());
}

TEST(ReusePortGroup, ExplainsAnAddressNotOnThisHost) {
  const auto endpoint = Endpoint::parse("192.0.2.1", 11211);   // TEST-NET-1
  auto group = openReusePortGroup(*endpoint, Protocol::kUdp, 1);
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.error(),
            "cannot listen on 192.0.2.1:11211 (UDP): address not available on this host");
}

}  // namespace
}  // namespace unbuckle::net
