#include "afxdp/umem_region.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace unbuckle::afxdp {
namespace {

constexpr uint64_t kSlice = uint64_t{UmemRegion::kFramesPerQueue} * UmemRegion::kFrameSize;

TEST(UmemRegion, QueueSlicesInInterfaceOrderThenTheArena) {
  auto created = UmemRegion::create({2, 1}, 5 * 4096 + 100, UmemRegion::availableMemory());
  ASSERT_TRUE(created.ok()) << created.error();
  const UmemRegion& region = *created.value();
  EXPECT_EQ(region.queues(0), 2u);
  EXPECT_EQ(region.queues(1), 1u);
  EXPECT_EQ(region.firstFrame(0, 0), 0u);
  EXPECT_EQ(region.firstFrame(0, 1), kSlice);
  EXPECT_EQ(region.firstFrame(1, 0), 2 * kSlice);
  // The arena follows the last slice, rounded up to whole frames: the kernel
  // takes a umem in whole chunks.
  EXPECT_EQ(region.arena().data(), region.bytes().data() + 3 * kSlice);
  EXPECT_EQ(region.arena().size(), 6u * 4096);
  EXPECT_EQ(region.bytes().size(), 3 * kSlice + 6 * 4096);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(region.bytes().data()) % UmemRegion::kFrameSize, 0u);
}

TEST(UmemRegion, RefusedWhenItAndTheKernelsBookkeepingExceedTheMemoryAvailable) {
  // 1 GiB of arena and 2 queues' frames (32 MiB); the kernel keeps 136 bytes
  // per 4 KiB chunk per queue: 2 * 270,336 chunks * 136 = 70 MiB.
  const uint64_t needed = (1024 + 32 + 70) << 20;
  auto refused = UmemRegion::create({2}, size_t{1} << 30, needed - (1 << 20));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(),
            "the umem would pin 1024 MiB of item arena and 32 MiB of frames, and the kernel needs about "
            "70 MiB more for 2 queues, but only 1125 MiB of memory is available: lower --memory-limit");
  EXPECT_TRUE(UmemRegion::create({2}, size_t{1} << 30, needed + (1 << 20)).ok());
}

TEST(UmemRegion, AMappingTooLargeIsRefusedWithItsSize) {
  auto created = UmemRegion::create({1}, size_t{1} << 48, uint64_t{1} << 63);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().find("cannot map"), std::string::npos) << created.error();
  EXPECT_NE(created.error().find("MiB for the umem"), std::string::npos) << created.error();
}

TEST(UmemRegion, AvailableMemoryIsReadFromTheSystem) {
  const uint64_t available = UmemRegion::availableMemory();
  EXPECT_GT(available, uint64_t{1} << 20);
  EXPECT_LT(available, uint64_t{1} << 50);
}

}  // namespace
}  // namespace unbuckle::afxdp
