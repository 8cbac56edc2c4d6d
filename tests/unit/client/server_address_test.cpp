// A server's name as messages and the Python module's dicts give it: the
// form a server list takes, IPv6 addresses in brackets.
#include "client/server_address.h"

#include <sys/socket.h>

#include <gtest/gtest.h>

namespace unbuckle::client {
namespace {

TEST(ServerAddress, IsNamedAsServerListsWriteIt) {
  EXPECT_EQ(resolveServer("127.0.0.1", 11211).name, "127.0.0.1:11211");
  const ServerAddress ipv6 = resolveServer("::1", 11212);
  EXPECT_EQ(ipv6.name, "[::1]:11212");
  EXPECT_EQ(ipv6.family(), AF_INET6);
}

}  // namespace
}  // namespace unbuckle::client
