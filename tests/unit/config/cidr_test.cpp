#include "config/cidr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace unbuckle::config {
namespace {

bool contains(const char* cidr, const char* host) {
  const auto parsed = Cidr::parse(cidr);
  EXPECT_TRUE(parsed) << cidr;
  uint8_t bytes[16] = {};
  int family = AF_INET;
  if (inet_pton(AF_INET, host, bytes) != 1) {
    family = AF_INET6;
    EXPECT_EQ(inet_pton(AF_INET6, host, bytes), 1) << host;
  }
  return parsed && parsed->contains(family, bytes);
}

TEST(Cidr, ParsesPrefixesAndHosts) {
  EXPECT_EQ(Cidr::parse("10.0.0.0/8")->toString(), "10.0.0.0/8");
  EXPECT_EQ(Cidr::parse("192.168.1.7")->toString(), "192.168.1.7/32");
  EXPECT_EQ(Cidr::parse("fc00::/7")->toString(), "fc00::/7");
  EXPECT_EQ(Cidr::parse("::1")->toString(), "::1/128");
  EXPECT_EQ(Cidr::parse("0.0.0.0/0")->prefixLength(), 0u);
  EXPECT_EQ(Cidr::parse("::/0")->family(), AF_INET6);
}

TEST(Cidr, RefusesMalformedText) {
  for (const char* bad : {"", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8x", "10.0.0/8",
                          "host/8", "10.0.0.1/8", "fc00::1/7", "10.0.0.0/-1"}) {
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
  }
}

TEST(Cidr, MatchesAddressesOfItsFamily) {
  EXPECT_TRUE(contains("127.0.0.0/8", "127.1.2.3"));
  EXPECT_FALSE(contains("127.0.0.0/8", "128.0.0.1"));
  EXPECT_TRUE(contains("172.16.0.0/12", "172.31.255.255"));
  EXPECT_FALSE(contains("172.16.0.0/12", "172.32.0.0"));
  EXPECT_TRUE(contains("0.0.0.0/0", "8.8.8.8"));
  EXPECT_TRUE(contains("10.1.2.3", "10.1.2.3"));
  EXPECT_FALSE(contains("10.1.2.3", "10.1.2.4"));
  EXPECT_TRUE(contains("fc00::/7", "fd12::1"));
  EXPECT_FALSE(contains("fc00::/7", "fe80::1"));
  EXPECT_FALSE(contains("::/0", "10.0.0.1"));
  EXPECT_FALSE(contains("0.0.0.0/0", "::1"));
}

}  // namespace
}  // namespace unbuckle::config
