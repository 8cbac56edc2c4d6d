#include "mcbench/workload.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace unbuckle::mcbench {
namespace {

TEST(Workload, KeysAreZeroPaddedToTheKeySize) {
  const Workload workload({1000, 10, 5, "mcb"});
  EXPECT_EQ(workload.key(42), "mcb:000042");
  EXPECT_EQ(workload.key(0), "mcb:000000");
  EXPECT_EQ(workload.key(999), "mcb:000999");
  EXPECT_EQ(Workload({1000, 20, 5, "mcb"}).key(7), "mcb:0000000000000007");
}

TEST(Workload, RefusesKeySizesThatCannotHoldTheKeys) {
  EXPECT_EQ(Workload::minKeySize(1000, "mcb"), 7u);
  EXPECT_EQ(Workload::minKeySize(1001, "mcb"), 8u);
  EXPECT_EQ(Workload::minKeySize(1, "mcb"), 5u);
  EXPECT_THROW(Workload({1001, 7, 5, "mcb"}), std::invalid_argument);
  EXPECT_NO_THROW(Workload({1000, 7, 5, "mcb"}));
  EXPECT_THROW(Workload({10, 251, 5, "mcb"}), std::invalid_argument);
  EXPECT_THROW(Workload({0, 20, 5, "mcb"}), std::invalid_argument);
}

TEST(Workload, ValuesAreDeterministicPrintableAndDifferPerKey) {
  const Workload workload({1000, 20, 100, "mcb"});
  const Workload again({1000, 20, 100, "mcb"});
  for (uint64_t i = 0; i < 200; ++i) {
    ASSERT_EQ(workload.value(i).size(), 100u);
    EXPECT_EQ(workload.value(i), again.value(i));
    for (char c : workload.value(i)) ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
  }
  for (uint64_t i = 0; i < 60; ++i) {
    for (uint64_t j = i + 1; j < 61; ++j) EXPECT_NE(workload.value(i), workload.value(j)) << i << " " << j;
  }
  EXPECT_EQ(Workload::flags(70000), 70000u & 0xffff);
  EXPECT_EQ(Workload({10, 20, 0, "mcb"}).value(3), "");
}

TEST(Workload, RequestsAreMemcachedAscii) {
  const Workload workload({1000, 10, 5, "mcb"});
  std::string get;
  workload.appendGet(get, 42);
  EXPECT_EQ(get, "get mcb:000042\r\n");
  EXPECT_EQ(get.size(), workload.getSize());
  std::string set;
  workload.appendSet(set, 42);
  EXPECT_EQ(set, "set mcb:000042 42 0 5\r\n" + std::string(workload.value(42)) + "\r\n");
  EXPECT_LE(set.size(), workload.maxSetSize());
  std::string widest;
  workload.appendSet(widest, 65535);
  EXPECT_LE(widest.size(), workload.maxSetSize());
}

}  // namespace
}  // namespace unbuckle::mcbench
