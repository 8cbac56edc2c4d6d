// The results as a person reads them (stdout text) and as scripts read them
// (--json): per-target summaries, the --compare table, the fill table.
#pragma once

#include <string>
#include <vector>

#include "mcbench/fill.h"
#include "mcbench/load_run.h"
#include "mcbench/options.h"

namespace unbuckle::mcbench {

struct FillReport {
  Target target;
  FillResult result;
};

std::string describeLoad(const Options& options);
std::string formatRunSummary(const RunResult& run);
// One row per run with ratios of throughput and server CPU to the first run.
std::string formatCompareTable(const std::vector<RunResult>& runs);
std::string formatLoadJson(const Options& options, const std::vector<RunResult>& runs);

std::string formatFillTable(const std::vector<FillReport>& fills);
std::string formatFillJson(const Options& options, const std::vector<FillReport>& fills);

// 1234567 -> "1,234,567"
std::string groupDigits(uint64_t value);

}  // namespace unbuckle::mcbench
