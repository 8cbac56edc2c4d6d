// One measured run against one target: LoadWorker threads, a progress line
// on stderr once a second, the bound (duration or request count), and the
// server's CPU time when its PID is known.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "mcbench/histogram.h"
#include "mcbench/key_chooser.h"
#include "mcbench/load_worker.h"
#include "mcbench/run_counters.h"
#include "mcbench/target.h"
#include "mcbench/workload.h"

namespace unbuckle::mcbench {

struct RunPlan {
  LoadSettings settings;
  uint32_t threads = 1;
  std::chrono::duration<double> duration{10};  // always a bound, also with requests
  uint64_t requests = 0;                       // 0: run for the duration
  uint64_t seed = 1;
  bool progress = true;
};

struct RunResult {
  Target target;
  RunCounters counters;
  LatencyHistogram latency;  // nanoseconds, answered requests only
  double seconds = 0;
  bool interrupted = false;  // Ctrl-C cut the run short
  std::optional<double> server_cpu_seconds;

  double opsPerSecond() const;
  // Server CPU seconds per million answered requests.
  std::optional<double> serverCpuPerMillion() const;
  // Adds another round against the same target.
  void merge(const RunResult& round);
};

// Throws std::runtime_error when the target cannot be reached or a worker
// failed (after every worker has stopped).
RunResult runLoad(const Target& target, const RunPlan& plan, const Workload& workload, const KeyChooser& chooser,
                  std::optional<pid_t> server_pid);

}  // namespace unbuckle::mcbench
