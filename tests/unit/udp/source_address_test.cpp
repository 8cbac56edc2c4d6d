#include "udp/source_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

namespace unbuckle::udp {
namespace {

SourceAddress fromText(const char* text) {
  sockaddr_storage storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, text, &v6->sin6_addr), 1) << text;
    v6->sin6_family = AF_INET6;
  }
  return SourceAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&storage));
}

TEST(SourceAddress, KeepsTheFamilyAndBytes) {
  EXPECT_EQ(fromText("10.1.2.3").family, AF_INET);
  EXPECT_EQ(fromText("10.1.2.3").toString(), "10.1.2.3");
  EXPECT_EQ(fromText("fd12::1").family, AF_INET6);
  EXPECT_EQ(fromText("fd12::1").toString(), "fd12::1");
}

// A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d: one host must
// have one address for the allow list and the budget whichever socket it reached.
TEST(SourceAddress, AnIpv4MappedAddressIsIpv4) {
  EXPECT_EQ(fromText("::ffff:127.0.0.1"), fromText("127.0.0.1"));
  EXPECT_EQ(fromText("::ffff:127.0.0.1").family, AF_INET);
  EXPECT_NE(fromText("::127.0.0.1"), fromText("127.0.0.1"));
}

}  // namespace
}  // namespace unbuckle::udp
