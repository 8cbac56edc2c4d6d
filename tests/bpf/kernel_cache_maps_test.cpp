// The kernel cache's maps as the daemon creates them: the arrays are shared
// memory between the daemon's mapping and the map the program reads, and
// the tries hold every --allow network.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include "kernel_cache/kernel_cache_maps.h"

namespace unbuckle::kernel_cache {
namespace {

std::vector<config::Cidr> networks(std::initializer_list<const char*> texts) {
  std::vector<config::Cidr> out;
  for (const char* text : texts) out.push_back(*config::Cidr::parse(text));
  return out;
}

class KernelCacheMapsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "creating BPF maps needs root (CAP_BPF)";
  }
};

TEST_F(KernelCacheMapsTest, DaemonWritesThroughTheMappingAreWhatTheMapHolds) {
  auto created = KernelCacheMaps::create(16, networks({"10.0.0.0/8"}));
  ASSERT_TRUE(created.ok()) << created.error();
  KernelCacheMaps& maps = *created.value();
  const xdp::KernelCacheMapFds fds = maps.fds();
  EXPECT_EQ(maps.entries(), 16u);
  EXPECT_EQ(fds.set_mask, 16u / UNBUCKLE_KC_WAYS - 1);

  maps.slots()[13].key_len = 5;
  std::memcpy(maps.slots()[13].key, "hello", 5);
  maps.hits()[7].hits = 42;
  maps.state()->generation = 3;

  unbuckle_kc_slot slot{};
  uint32_t index = 13;
  ASSERT_EQ(bpf_map_lookup_elem(fds.slots, &index, &slot), 0);
  EXPECT_EQ(slot.key_len, 5);
  EXPECT_EQ(std::memcmp(slot.key, "hello", 5), 0);
  unbuckle_kc_hit hit{};
  index = 7;
  ASSERT_EQ(bpf_map_lookup_elem(fds.hits, &index, &hit), 0);
  EXPECT_EQ(hit.hits, 42u);
  unbuckle_kc_state state{};
  index = 0;
  ASSERT_EQ(bpf_map_lookup_elem(fds.state, &index, &state), 0);
  EXPECT_EQ(state.generation, 3u);
  index = 16;
  EXPECT_NE(bpf_map_lookup_elem(fds.slots, &index, &slot), 0) << "only --kernel-cache-entries slots";
}

TEST_F(KernelCacheMapsTest, TriesHoldEveryAllowedNetwork) {
  auto created = KernelCacheMaps::create(4, networks({"10.1.0.0/16", "192.168.7.9", "fd00::/8", "::1"}));
  ASSERT_TRUE(created.ok()) << created.error();
  const xdp::KernelCacheMapFds fds = created.value()->fds();
  auto allowed4 = [&](const char* address) {
    unbuckle_kc_allow4_key key{32, {}};
    inet_pton(AF_INET, address, key.addr);
    uint8_t value = 0;
    return bpf_map_lookup_elem(fds.allow4, &key, &value) == 0;
  };
  auto allowed6 = [&](const char* address) {
    unbuckle_kc_allow6_key key{128, {}};
    inet_pton(AF_INET6, address, key.addr);
    uint8_t value = 0;
    return bpf_map_lookup_elem(fds.allow6, &key, &value) == 0;
  };
  EXPECT_TRUE(allowed4("10.1.200.3"));
  EXPECT_FALSE(allowed4("10.2.0.1"));
  EXPECT_TRUE(allowed4("192.168.7.9"));
  EXPECT_FALSE(allowed4("192.168.7.8"));
  EXPECT_TRUE(allowed6("fd12::5"));
  EXPECT_TRUE(allowed6("::1"));
  EXPECT_FALSE(allowed6("2001:db8::1"));
}

TEST_F(KernelCacheMapsTest, MoreNetworksThanTheTriesHoldAreRefused) {
  std::vector<config::Cidr> many;
  for (int i = 0; i <= UNBUCKLE_KC_ALLOW_MAX; ++i) {
    many.push_back(*config::Cidr::parse("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24"));
  }
  auto created = KernelCacheMaps::create(4, many);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().find("--allow lists 1025 networks"), std::string::npos) << created.error();
}

}  // namespace
}  // namespace unbuckle::kernel_cache
