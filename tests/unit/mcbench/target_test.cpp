#include "mcbench/target.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <stdexcept>

namespace unbuckle::mcbench {
namespace {

in_addr ip(const char* text) {
  in_addr address{};
  inet_pton(AF_INET, text, &address);
  return address;
}

TEST(ParseTarget, NamedAndUnnamed) {
  Target target = parseTarget("unbuckle=127.0.0.1:11311");
  EXPECT_EQ(target.name, "unbuckle");
  EXPECT_EQ(target.endpoint.str(), "127.0.0.1:11311");
  target = parseTarget("10.200.0.2:11211");
  EXPECT_EQ(target.name, "10.200.0.2:11211");
  EXPECT_EQ(target.endpoint.port, 11211);
  EXPECT_EQ(parseTarget("m=localhost:5").endpoint.str(), "127.0.0.1:5");
}

TEST(ParseTarget, Errors) {
  EXPECT_THROW(parseTarget("127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(parseTarget("=127.0.0.1:1"), std::invalid_argument);
  EXPECT_THROW(parseTarget("a=example.com:1"), std::invalid_argument);
  EXPECT_THROW(parseTarget("a=127.0.0.1:0"), std::invalid_argument);
  EXPECT_THROW(parseTarget("a=127.0.0.1:65536"), std::invalid_argument);
  EXPECT_THROW(parseTarget("a=127.0.0.1:12x"), std::invalid_argument);
}

// The host as seen here: a default route via 192.168.2.1 (printed
// little-endian, as /proc/net/route does on x86) and the uplink's /24.
constexpr const char* kHostRoutes =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";

// A test namespace: only its veth subnet, a routed subnet beyond a gateway
// on a second veth, and a down route.
constexpr const char* kNamespaceRoutes =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "veth0\t0000C80A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    "veth1\t0000090A\t0100C90A\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
    "veth1\t0000C90A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    "veth2\t0000CA0A\t00000000\t0000\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";

TEST(CheckRoute, LoopbackIsAlwaysAllowed) {
  EXPECT_TRUE(checkRoute(ip("127.0.0.1"), kHostRoutes).allowed);
  EXPECT_TRUE(checkRoute(ip("127.3.2.1"), "").allowed);
}

TEST(CheckRoute, NothingOnTheHostsUplink) {
  EXPECT_FALSE(checkRoute(ip("8.8.8.8"), kHostRoutes).allowed);
  EXPECT_FALSE(checkRoute(ip("10.0.0.1"), kHostRoutes).allowed);
  const RouteVerdict neighbour = checkRoute(ip("192.168.2.7"), kHostRoutes);
  EXPECT_FALSE(neighbour.allowed);
  EXPECT_NE(neighbour.reason.find("eth0"), std::string::npos);
}

TEST(CheckRoute, DirectlyConnectedTestInterfacesAreAllowed) {
  const RouteVerdict verdict = checkRoute(ip("10.200.0.2"), kNamespaceRoutes);
  EXPECT_TRUE(verdict.allowed) << verdict.reason;
  EXPECT_NE(verdict.reason.find("veth0"), std::string::npos);
  EXPECT_TRUE(checkRoute(ip("10.201.0.9"), kNamespaceRoutes).allowed);
}

TEST(CheckRoute, GatewaysDownRoutesAndUnroutedAreRefused) {
  EXPECT_FALSE(checkRoute(ip("10.9.1.1"), kNamespaceRoutes).allowed);    // via a gateway
  EXPECT_FALSE(checkRoute(ip("10.202.0.1"), kNamespaceRoutes).allowed);  // route not up
  EXPECT_FALSE(checkRoute(ip("172.16.0.1"), kNamespaceRoutes).allowed);  // no route
}

TEST(CheckRoute, LongestPrefixWins) {
  // 10.201.0.0/16 via a gateway, 10.201.5.0/24 direct on veth3.
  const std::string routes = std::string(kNamespaceRoutes) +
                             "veth1\t0000C90A\t0100C90A\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
                             "veth3\t0005C90A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
  EXPECT_TRUE(checkRoute(ip("10.201.5.1"), routes).allowed);
}

}  // namespace
}  // namespace unbuckle::mcbench
