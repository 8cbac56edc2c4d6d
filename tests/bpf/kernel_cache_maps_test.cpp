// The kernel cache's maps as the daemon creates them: the arrays are shared
// memory between the daemon's mapping and the map the program reads.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include "kernel_cache/kernel_cache_maps.h"

namespace unbuckle::kernel_cache {
namespace {

class KernelCacheMapsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "creating BPF maps needs root (CAP_BPF)";
  }
};

TEST_F(KernelCacheMapsTest, DaemonWritesThroughTheMappingAreWhatTheMapHolds) {
  auto created = KernelCacheMaps::create(16);
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

}  // namespace
}  // namespace unbuckle::kernel_cache
