#include "mcbench/memcached_stats.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace unbuckle::mcbench {
namespace {

TEST(MemcachedStats, ParsesAReply) {
  const StatsMap stats =
      parseStatsReply("STAT pid 42\r\nSTAT version 1.6.18\r\nSTAT rusage_user 0.123456\r\nSTAT evictions 0\r\nEND\r\n");
  EXPECT_EQ(stats.at("version"), "1.6.18");
  EXPECT_EQ(stats.at("rusage_user"), "0.123456");
  EXPECT_EQ(statNumber(stats, "pid"), 42u);
  EXPECT_EQ(statNumber(stats, "evictions"), 0u);
  EXPECT_THROW(statNumber(stats, "curr_items"), std::runtime_error);
  EXPECT_THROW(statNumber(stats, "version"), std::runtime_error);
}

TEST(MemcachedStats, NeedsEnd) {
  EXPECT_THROW(parseStatsReply("STAT pid 42\r\n"), std::runtime_error);
}

TEST(MemcachedStats, StatLine) {
  const auto stat = parseStatLine("STAT limit_maxbytes 67108864");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->first, "limit_maxbytes");
  EXPECT_EQ(stat->second, "67108864");
  EXPECT_FALSE(parseStatLine("STAT nothing"));
  EXPECT_FALSE(parseStatLine("END"));
}

}  // namespace
}  // namespace unbuckle::mcbench
