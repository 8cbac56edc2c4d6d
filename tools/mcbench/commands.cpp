#include "mcbench/commands.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>

#include "mcbench/active_target.h"
#include "mcbench/fill.h"
#include "mcbench/key_chooser.h"
#include "mcbench/load_run.h"
#include "mcbench/preload.h"
#include "mcbench/report.h"
#include "mcbench/server_pause.h"
#include "mcbench/stop_signal.h"
#include "mcbench/udp_probe.h"
#include "mcbench/workload.h"

namespace unbuckle::mcbench {

namespace {

constexpr int kExitInterrupted = 130;
constexpr auto kUdpProbeTimeout = std::chrono::milliseconds(2000);

std::optional<pid_t> serverPidFor(const Options& options, const std::string& name) {
  const auto it = options.server_pids.find(name);
  return it == options.server_pids.end() ? std::nullopt : std::optional<pid_t>(it->second);
}

void print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

// Probes UDP when the load uses it, and preloads when asked.
void prepare(const Target& target, const Options& options, const Workload& workload) {
  if (usesProtocol(options.plan.settings, Protocol::kUdp) && !probeUdp(target.endpoint, kUdpProbeTimeout)) {
    throw std::runtime_error(
        fmt::format("target {} ({}): no reply to a UDP request (memcached serves UDP only with -U)", target.name,
                    target.endpoint.str()));
  }
  if (!options.preload) return;
  const PreloadResult preloaded = preload(target.endpoint, workload, options.plan.threads);
  fmt::print(stderr, "mcbench: {}: preloaded {} keys in {:.2f} s\n", target.name, groupDigits(preloaded.stored),
             preloaded.seconds);
  if (preloaded.refused)
    fmt::print(stderr, "mcbench: {}: {} preload sets were refused\n", target.name, preloaded.refused);
}

}  // namespace

int runLoadCommand(const Options& options) {
  checkTargetsAllowed(options.targets);
  const Workload workload(options.shape);
  const KeyChooser chooser(options.shape.keys, options.distribution, options.zipf_s);
  if (!options.json) print(describeLoad(options) + "\n");

  // Every target is up and preloaded before the first round, so that rounds
  // can alternate between them.
  std::vector<std::unique_ptr<ActiveTarget>> targets;
  for (const TargetSpec& spec : options.targets) {
    if (stopRequested()) return kExitInterrupted;
    targets.push_back(std::make_unique<ActiveTarget>(spec, options.memcached, serverPidFor(options, spec.name)));
    prepare(targets.back()->target(), options, workload);
  }

  std::optional<ServerPause> pause;
  if (options.pause_idle) {
    std::vector<pid_t> servers;
    for (const auto& target : targets) {
      const auto pid = target->serverPid();
      if (!pid) {
        throw std::invalid_argument(fmt::format("--pause-idle: target {} has no server process (add --server-pid {}=PID)",
                                                target->target().name, target->target().name));
      }
      servers.push_back(*pid);
    }
    pause.emplace(std::move(servers));
  }

  std::vector<std::optional<RunResult>> totals(targets.size());
  for (uint32_t round = 0; round < options.rounds && !stopRequested(); ++round) {
    RunPlan plan = options.plan;
    plan.seed += round;
    for (size_t n = 0; n < targets.size() && !stopRequested(); ++n) {
      const size_t i = round % 2 == 0 ? n : targets.size() - 1 - n;
      if (pause) pause->measure(*targets[i]->serverPid());
      RunResult run = runLoad(targets[i]->target(), plan, workload, chooser, targets[i]->serverPid());
      if (options.rounds > 1) {
        fmt::print(stderr, "mcbench: round {}/{}: {} {:.0f} ops/s\n", round + 1, options.rounds, run.target.name,
                   run.opsPerSecond());
      }
      if (totals[i]) {
        totals[i]->merge(run);
      } else {
        totals[i] = std::move(run);
      }
    }
  }

  std::vector<RunResult> runs;
  for (auto& total : totals) {
    if (total) runs.push_back(std::move(*total));
  }
  if (options.json) {
    print(formatLoadJson(options, runs));
    return stopRequested() ? kExitInterrupted : 0;
  }
  for (const RunResult& run : runs) print(formatRunSummary(run));
  if (options.compare && !runs.empty()) {
    print("\n");
    print(formatCompareTable(runs));
  }
  return stopRequested() ? kExitInterrupted : 0;
}

int runFillCommand(const Options& options) {
  checkTargetsAllowed(options.targets);
  const Workload workload(options.shape);
  std::vector<FillReport> fills;
  for (const TargetSpec& spec : options.targets) {
    if (stopRequested()) break;
    const ActiveTarget active(spec, options.memcached, std::nullopt);
    FillReport report{active.target(), fillUntilEviction(active.target().endpoint, workload, options.plan.duration)};
    if (report.result.items_before > 0) {
      fmt::print(stderr, "mcbench: {}: held {} items before the fill; they count in curr_items\n", report.target.name,
                 report.result.items_before);
    }
    if (!report.result.evicted) {
      fmt::print(stderr, "mcbench: {}: no eviction after {} sets in {:.1f} s\n", report.target.name,
                 groupDigits(report.result.sets), report.result.seconds);
    }
    fills.push_back(std::move(report));
  }
  if (options.json) {
    print(formatFillJson(options, fills));
  } else {
    print(fmt::format("fill: key {} B, value {} B\n", options.shape.key_size, options.shape.value_size) +
          formatFillTable(fills));
  }
  return stopRequested() ? kExitInterrupted : 0;
}

}  // namespace unbuckle::mcbench
