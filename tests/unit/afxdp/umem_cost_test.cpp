#include "afxdp/umem_cost.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace unbuckle::afxdp {
namespace {

TEST(UmemCost, AQueueCostsItsFramesAndTheKernelsBookkeepingOfThemOnly) {
  EXPECT_EQ(kUmemBytesPerQueue, uint64_t{16} << 20);
  EXPECT_EQ(kKernelBytesPerQueue, uint64_t{544} << 10);
}

TEST(UmemCost, RefusedWhenTheFramesAndTheKernelsBookkeepingExceedTheMemoryAvailable) {
  // 4 queues: 64 MiB of frames, 4 * 544 KiB of kernel bookkeeping.
  const uint64_t needed = (uint64_t{64} << 20) + (uint64_t{4 * 544} << 10);
  auto refused = checkUmemFits("eth0", 4, needed - 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(),
            "eth0: 4 queues would pin 64 MiB of AF_XDP frames and the kernel needs about 2176 KiB more, but only "
            "66 MiB of memory is available: free memory, or give eth0 fewer queues (ethtool -L eth0 combined N)");
  EXPECT_TRUE(checkUmemFits("eth0", 4, needed).ok());
}

TEST(UmemCost, AvailableMemoryIsReadFromTheSystem) {
  const uint64_t available = availableMemory();
  EXPECT_GT(available, uint64_t{1} << 20);
  EXPECT_LT(available, uint64_t{1} << 50);
}

}  // namespace
}  // namespace unbuckle::afxdp
