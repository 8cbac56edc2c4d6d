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

TEST_F(KernelCacheMapsTest, TheReplyBudgetsAreAnLruHashOfSources) {
  auto created = KernelCacheMaps::create(16);
  ASSERT_TRUE(created.ok()) << created.error();
  const xdp::KernelCacheMapFds fds = created.value()->fds();
  bpf_map_info info{};
  uint32_t length = sizeof(info);
  ASSERT_EQ(bpf_obj_get_info_by_fd(fds.budget, &info, &length), 0);
  EXPECT_EQ(info.type, BPF_MAP_TYPE_LRU_HASH);
  EXPECT_EQ(info.key_size, sizeof(unbuckle_reply_source));
  EXPECT_EQ(info.value_size, sizeof(unbuckle_reply_bucket));
  EXPECT_EQ(info.max_entries, uint32_t{UNBUCKLE_KC_BUDGET_SOURCES});
  EXPECT_STREQ(info.name, "unbuckle_kc_bud");   // the kernel keeps 15 characters
}

}  // namespace
}  // namespace unbuckle::kernel_cache
