// Pool entries in the forms of pylibmc, libmemcached and twemproxy, and the
// one-line refusals of malformed ones.
#include <gtest/gtest.h>

#include <string>

#include "unbuckle/client_servers.h"

namespace unbuckle::client {
namespace {

ServerSpec spec(std::string host, uint16_t port, uint32_t weight = 1, std::string name = "") {
  return ServerSpec{std::move(host), port, weight, std::move(name)};
}

TEST(ServerList, AcceptsEachClientsForm) {
  EXPECT_EQ(parseServerSpec("cache1"), spec("cache1", 11211));
  EXPECT_EQ(parseServerSpec("10.0.0.1:11212"), spec("10.0.0.1", 11212));
  EXPECT_EQ(parseServerSpec("10.0.0.1:11212:3"), spec("10.0.0.1", 11212, 3));
  EXPECT_EQ(parseServerSpec("10.0.0.1:11212 3"), spec("10.0.0.1", 11212, 3));
  EXPECT_EQ(parseServerSpec("10.0.0.1:11212:3 shard-a"), spec("10.0.0.1", 11212, 3, "shard-a"));
  EXPECT_EQ(parseServerSpec("  [::1]:11213:2 "), spec("::1", 11213, 2));
  EXPECT_EQ(parseServerSpec("[fe80::1]"), spec("fe80::1", 11211));
}

TEST(ServerList, SplitsOnCommas) {
  const auto servers = parseServerList("a:1, b:2:5,c");
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0], spec("a", 1));
  EXPECT_EQ(servers[1], spec("b", 2, 5));
  EXPECT_EQ(servers[2], spec("c", 11211));
}

std::string refusal(std::string_view text) {
  try {
    parseServerList(text);
  } catch (const ServerListError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(ServerList, RefusalsNameTheEntryAndTheFix) {
  const std::string forms = "; write host[:port[:weight]], host:port weight or host:port:weight name";
  EXPECT_EQ(refusal("a:1,b:x"), "server \"b:x\": port \"x\" is not a number from 1 to 65535" + forms);
  EXPECT_EQ(refusal("b:0"), "server \"b:0\": port \"0\" is not a number from 1 to 65535" + forms);
  EXPECT_EQ(refusal("b:65536"), "server \"b:65536\": port \"65536\" is not a number from 1 to 65535" + forms);
  EXPECT_EQ(refusal("b:1:0"), "server \"b:1:0\": weight \"0\" is not a number from 1 to 1000000" + forms);
  EXPECT_EQ(refusal("b:1 heavy"), "server \"b:1 heavy\": weight \"heavy\" is not a number from 1 to 1000000" + forms);
  EXPECT_EQ(refusal("b:1:2 x y"), "server \"b:1:2 x y\": more than one blank-separated word after the address" + forms);
  EXPECT_EQ(refusal("::1:11211:1"), "server \"::1:11211:1\": no host" + forms);
  EXPECT_EQ(refusal("fe80::1:11211"), "server \"fe80::1:11211\": too many ':' (write an IPv6 address in brackets)" + forms);
  EXPECT_EQ(refusal("a:1:2:3"), "server \"a:1:2:3\": too many ':' (write an IPv6 address in brackets)" + forms);
  EXPECT_EQ(refusal("[::1"), "server \"[::1\": '[' without ']'" + forms);
  EXPECT_EQ(refusal("[::1]11211"), "server \"[::1]11211\": expected ':' after ']'" + forms);
  EXPECT_EQ(refusal("a:1,,b:2"), "server list \"a:1,,b:2\": entry 2 is empty; separate entries by single commas");
  EXPECT_EQ(refusal(""), "server list \"\": entry 1 is empty; separate entries by single commas");
}

}  // namespace
}  // namespace unbuckle::client
