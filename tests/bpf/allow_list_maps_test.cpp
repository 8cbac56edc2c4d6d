// The allow list's tries as the daemon creates and replaces them: they hold
// every --allow network, a replacement leaves exactly the new list, and one
// too long for them is refused with the old list left in place.
#include "xdp/allow_list_maps.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "unbuckle/bpf_abi.h"

namespace unbuckle::xdp {
namespace {

std::vector<config::Cidr> networks(std::initializer_list<const char*> texts) {
  std::vector<config::Cidr> out;
  for (const char* text : texts) out.push_back(*config::Cidr::parse(text));
  return out;
}

class AllowListMapsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "creating BPF maps needs root (CAP_BPF)";
  }

  static bool allowed(const AllowListMaps& maps, const char* address) {
    const AllowListMapFds fds = maps.fds();
    uint8_t value = 0;
    if (std::string(address).find(':') == std::string::npos) {
      unbuckle_allow4_key key{32, {}};
      inet_pton(AF_INET, address, key.addr);
      return bpf_map_lookup_elem(fds.allow4, &key, &value) == 0;
    }
    unbuckle_allow6_key key{128, {}};
    inet_pton(AF_INET6, address, key.addr);
    return bpf_map_lookup_elem(fds.allow6, &key, &value) == 0;
  }
};

TEST_F(AllowListMapsTest, TriesHoldEveryAllowedNetworkAndOnlyTheNewOnesAfterAReplace) {
  auto created = AllowListMaps::create(networks({"10.1.0.0/16", "192.168.7.9", "fd00::/8", "::1"}));
  ASSERT_TRUE(created.ok()) << created.error();
  AllowListMaps& maps = *created.value();
  EXPECT_TRUE(allowed(maps, "10.1.200.3"));
  EXPECT_FALSE(allowed(maps, "10.2.0.1"));
  EXPECT_TRUE(allowed(maps, "192.168.7.9"));
  EXPECT_FALSE(allowed(maps, "192.168.7.8"));
  EXPECT_TRUE(allowed(maps, "fd12::5"));
  EXPECT_TRUE(allowed(maps, "::1"));
  EXPECT_FALSE(allowed(maps, "2001:db8::1"));

  ASSERT_TRUE(maps.replace(networks({"10.1.0.0/16", "2001:db8::/32"})).ok());
  EXPECT_TRUE(allowed(maps, "10.1.200.3"));
  EXPECT_FALSE(allowed(maps, "192.168.7.9"));
  EXPECT_FALSE(allowed(maps, "fd12::5"));
  EXPECT_FALSE(allowed(maps, "::1"));
  EXPECT_TRUE(allowed(maps, "2001:db8::1"));
  ASSERT_TRUE(maps.replace({}).ok());
  EXPECT_FALSE(allowed(maps, "10.1.200.3"));
  EXPECT_FALSE(allowed(maps, "2001:db8::1"));
}

TEST_F(AllowListMapsTest, MoreNetworksThanTheTriesHoldAreRefusedAndTheOldListStays) {
  auto created = AllowListMaps::create(networks({"127.0.0.0/8"}));
  ASSERT_TRUE(created.ok()) << created.error();
  std::vector<config::Cidr> many;
  for (int i = 0; i <= UNBUCKLE_ALLOW_MAX; ++i) {
    many.push_back(*config::Cidr::parse("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24"));
  }
  auto replaced = created.value()->replace(many);
  ASSERT_FALSE(replaced.ok());
  EXPECT_NE(replaced.error().find("the allow list has 1025 IPv4 networks"), std::string::npos) << replaced.error();
  EXPECT_TRUE(allowed(*created.value(), "127.0.0.1"));
  // Old and new together beyond the tries' room: refused, nothing changed.
  many.resize(UNBUCKLE_ALLOW_MAX - 1);   // with 127.0.0.0/8: full
  ASSERT_TRUE(created.value()->replace(many).ok());
  std::vector<config::Cidr> other;
  for (int i = 0; i < UNBUCKLE_ALLOW_MAX; ++i) {
    other.push_back(*config::Cidr::parse("11." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24"));
  }
  replaced = created.value()->replace(other);
  ASSERT_FALSE(replaced.ok());
  EXPECT_NE(replaced.error().find("replace in two steps"), std::string::npos) << replaced.error();
  EXPECT_TRUE(allowed(*created.value(), "10.0.0.1"));
  EXPECT_FALSE(allowed(*created.value(), "11.0.0.1"));
  EXPECT_FALSE(allowed(*created.value(), "127.0.0.1"));
}

}  // namespace
}  // namespace unbuckle::xdp
