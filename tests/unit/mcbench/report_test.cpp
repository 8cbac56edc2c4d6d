#include "mcbench/report.h"

#include <gtest/gtest.h>

namespace unbuckle::mcbench {
namespace {

TEST(Report, GroupDigits) {
  EXPECT_EQ(groupDigits(0), "0");
  EXPECT_EQ(groupDigits(999), "999");
  EXPECT_EQ(groupDigits(1000), "1,000");
  EXPECT_EQ(groupDigits(1234567), "1,234,567");
  EXPECT_EQ(groupDigits(UINT64_MAX), "18,446,744,073,709,551,615");
}

RunResult run(const std::string& name, uint64_t hits, double seconds, std::optional<double> cpu) {
  RunResult result;
  result.target.name = name;
  result.counters.get_hits = hits;
  result.seconds = seconds;
  result.server_cpu_seconds = cpu;
  result.latency.record(1000);
  return result;
}

TEST(Report, CompareTableGivesRatiosToTheFirstTarget) {
  const std::string table = formatCompareTable({run("memcached", 1000, 1.0, 2.0), run("unbuckle", 2500, 1.0, 1.0)});
  EXPECT_NE(table.find("memcached"), std::string::npos);
  EXPECT_NE(table.find("2.50"), std::string::npos);  // throughput ratio
  EXPECT_NE(table.find("0.20"), std::string::npos);  // CPU per request ratio: 400 vs 2000 s/M
  EXPECT_NE(table.find("2000.000"), std::string::npos);
}

TEST(Report, RunSummaryNamesErrorKinds) {
  RunResult result = run("t", 10, 1.0, std::nullopt);
  result.counters.get_errors = 3;
  result.counters.errors[static_cast<size_t>(ErrorKind::kWrongValue)] = 3;
  const std::string summary = formatRunSummary(result);
  EXPECT_NE(summary.find("wrong_value 3"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("server cpu"), std::string::npos);
}

}  // namespace
}  // namespace unbuckle::mcbench
