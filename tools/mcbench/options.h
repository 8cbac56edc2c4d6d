// mcbench's command line: what to load, against which targets, and how.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mcbench/key_chooser.h"
#include "mcbench/load_run.h"
#include "mcbench/memcached_process.h"
#include "mcbench/target.h"
#include "mcbench/workload.h"

namespace unbuckle::mcbench {

inline constexpr double kMaxDurationSeconds = 300;

struct TargetSpec {
  std::string name;
  std::optional<Endpoint> endpoint;  // none: --start-memcached, the port is chosen at start
};

struct Options {
  enum class Mode { kLoad, kFill } mode = Mode::kLoad;
  std::vector<TargetSpec> targets;  // in command-line order; the first is the baseline
  std::map<std::string, pid_t> server_pids;
  MemcachedOptions memcached;
  bool compare = false;
  uint32_t rounds = 1;  // runs per target, alternating between targets
  bool pause_idle = false;  // stop every other target's server during a run
  bool preload = false;
  bool json = false;
  WorkloadShape shape;
  KeyDistribution distribution = KeyDistribution::kUniform;
  double zipf_s = 0.99;
  RunPlan plan;
};

// The parsed options, or the exit code when parsing ends the program
// (--help: 0; a bad flag: 1, after a one-line message on stderr).
std::variant<Options, int> parseOptions(int argc, char** argv);

}  // namespace unbuckle::mcbench
