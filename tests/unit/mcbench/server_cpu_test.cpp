#include "mcbench/server_cpu.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace unbuckle::mcbench {
namespace {

TEST(ServerCpu, ParsesUtimeAndStimeBehindAnAwkwardName) {
  const char* line = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 4 0 1000 0 0";
  const auto seconds = parseProcStatCpuSeconds(line, 100);
  ASSERT_TRUE(seconds);
  EXPECT_DOUBLE_EQ(*seconds, 4.0);
  EXPECT_FALSE(parseProcStatCpuSeconds("1234 (x) S 1 2", 100));
  EXPECT_FALSE(parseProcStatCpuSeconds("garbage", 100));
}

TEST(ServerCpu, ReadsALiveProcess) {
  volatile uint64_t spin = 0;
  for (int i = 0; i < 10000000; ++i) spin = spin + static_cast<uint64_t>(i);
  const auto seconds = processCpuSeconds(getpid());
  ASSERT_TRUE(seconds);
  EXPECT_GE(*seconds, 0.0);
  EXPECT_FALSE(processCpuSeconds(-1));
}

}  // namespace
}  // namespace unbuckle::mcbench
