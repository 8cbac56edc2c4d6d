#include "mcbench/load_run.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mcbench/server_cpu.h"
#include "mcbench/stop_signal.h"

namespace unbuckle::mcbench {

namespace {

constexpr auto kMonitorTick = std::chrono::milliseconds(20);

struct LiveTotals {
  uint64_t answered = 0, gets = 0, hits = 0, lost = 0, errors = 0;
  bool all_done = true;
  bool any_failed = false;
};

LiveTotals sumLive(const std::vector<std::unique_ptr<LoadWorker>>& workers) {
  LiveTotals totals;
  for (const auto& worker : workers) {
    const LiveCounters& live = worker->live();
    totals.answered += live.answered.load(std::memory_order_relaxed);
    totals.gets += live.gets.load(std::memory_order_relaxed);
    totals.hits += live.hits.load(std::memory_order_relaxed);
    totals.lost += live.lost.load(std::memory_order_relaxed);
    totals.errors += live.errors.load(std::memory_order_relaxed);
    totals.all_done = totals.all_done && live.done.load(std::memory_order_acquire);
    totals.any_failed = totals.any_failed || live.failed.load(std::memory_order_relaxed);
  }
  return totals;
}

void printProgress(const std::string& name, double elapsed, double ops_per_second, const LiveTotals& totals) {
  const double hit = totals.gets ? 100.0 * static_cast<double>(totals.hits) / static_cast<double>(totals.gets) : 0.0;
  fmt::print(stderr, "mcbench: {} {:4.0f} s  {:>12.0f} ops/s  hit {:6.2f}%  lost {}  errors {}\n", name, elapsed,
             ops_per_second, hit, totals.lost, totals.errors);
}

}  // namespace

double RunResult::opsPerSecond() const {
  return seconds > 0 ? static_cast<double>(counters.answered()) / seconds : 0.0;
}

std::optional<double> RunResult::serverCpuPerMillion() const {
  if (!server_cpu_seconds || counters.answered() == 0) return std::nullopt;
  return *server_cpu_seconds / (static_cast<double>(counters.answered()) / 1e6);
}

void RunResult::merge(const RunResult& round) {
  counters.merge(round.counters);
  latency.merge(round.latency);
  seconds += round.seconds;
  interrupted = interrupted || round.interrupted;
  if (server_cpu_seconds && round.server_cpu_seconds) {
    *server_cpu_seconds += *round.server_cpu_seconds;
  } else {
    server_cpu_seconds.reset();
  }
}

RunResult runLoad(const Target& target, const RunPlan& plan, const Workload& workload, const KeyChooser& chooser,
                  std::optional<pid_t> server_pid) {
  std::vector<std::unique_ptr<LoadWorker>> workers;
  for (uint32_t i = 0; i < plan.threads; ++i) {
    const uint64_t budget = plan.requests / plan.threads + (i < plan.requests % plan.threads ? 1 : 0);
    if (plan.requests != 0 && budget == 0) continue;
    const uint64_t seed = plan.seed * 0x100000001b3ULL + i;
    workers.push_back(std::make_unique<LoadWorker>(plan.settings, workload, chooser, target.endpoint, seed, budget));
  }

  const auto cpu_before = server_pid ? processCpuSeconds(*server_pid) : std::nullopt;
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& worker : workers) threads.emplace_back([&worker, &stop] { worker->run(stop); });

  RunResult result;
  result.target = target;
  auto next_progress = start + std::chrono::seconds(1);
  uint64_t answered_at_last_progress = 0;
  for (;;) {
    std::this_thread::sleep_for(kMonitorTick);
    const auto now = Clock::now();
    const LiveTotals totals = sumLive(workers);
    if (totals.all_done) break;
    if (stopRequested()) result.interrupted = true;
    if (stopRequested() || totals.any_failed || now - start >= plan.duration) stop.store(true);
    if (plan.progress && now >= next_progress && !stop.load()) {
      const double interval = std::chrono::duration<double>(now - (next_progress - std::chrono::seconds(1))).count();
      printProgress(target.name, std::chrono::duration<double>(now - start).count(),
                    static_cast<double>(totals.answered - answered_at_last_progress) / interval, totals);
      answered_at_last_progress = totals.answered;
      next_progress = now + std::chrono::seconds(1);
    }
  }
  for (std::thread& thread : threads) thread.join();

  auto finished = start;
  std::string failures;
  for (const auto& worker : workers) {
    result.counters.merge(worker->counters());
    result.latency.merge(worker->latency());
    finished = std::max(finished, worker->finishedAt());
    if (!worker->error().empty() && failures.empty()) failures = worker->error();
  }
  if (!failures.empty()) throw std::runtime_error(fmt::format("load against {}: {}", target.name, failures));
  result.seconds = std::chrono::duration<double>(finished - start).count();
  if (cpu_before) {
    if (const auto cpu_after = processCpuSeconds(*server_pid)) result.server_cpu_seconds = *cpu_after - *cpu_before;
  }
  return result;
}

}  // namespace unbuckle::mcbench
