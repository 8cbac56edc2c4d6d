#include "mcbench/options.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace unbuckle::mcbench {

namespace {

constexpr uint32_t kMaxWindow = 4096;  // request ids stay unique 16 windows deep
constexpr uint32_t kMaxThreads = 256;
constexpr size_t kMaxUdpRequest = 65507;  // largest IPv4 UDP payload
constexpr uint64_t kMaxFillKeys = 100'000'000;

constexpr const char* kDescription =
    "mcbench: memcached load generator (ASCII protocol over UDP and TCP) and side-by-side report.";

constexpr const char* kFooter = R"(
Load mode (default): every thread keeps --window requests outstanding against
one target; GETs go over --proto, SETs over --set-proto. Key i is
"mcb:<i zero-padded to --key-size>", its value is --value-size bytes derived
from i, its flags i & 0xffff, so --validate can check every byte of a reply.
A UDP request with no complete reply after --timeout-ms counts as lost (a
miss for the hit ratio). Results go to stdout (text, or JSON with --json); a
progress line goes to stderr once a second.

Targets must be loopback, or on a directly connected interface that does not
carry this network namespace's default route (a test namespace's veth);
others are refused.

Examples:
  mcbench --start-memcached memcached --preload --duration 5
  mcbench --compare --start-memcached memcached --target unbuckle=127.0.0.1:11311 \
          --window 64 --threads 2 --value-size 1000 --preload --validate
  mcbench fill --start-memcached memcached --memcached-memory 64 --key-size 20 --value-size 100
)";

constexpr const char* kFillFooter = R"(
Fill mode: sets distinct keys "fill:<i>" over TCP (pipelined) until the
server's stats show an eviction, then prints curr_items, bytes,
limit_maxbytes and bytes per item for each target. Start from an empty
server: items already there are counted too (a warning says so).
)";

// The flags that name targets, kept per (sub)command so their order on the
// command line can be recovered from CLI11's parse order.
struct TargetFlags {
  std::vector<std::string> targets;
  std::vector<std::string> memcached_names;
  CLI::Option* target_option = nullptr;
  CLI::Option* memcached_option = nullptr;
};

void addTargetFlags(CLI::App& app, TargetFlags& flags, MemcachedOptions& memcached) {
  flags.target_option = app.add_option("--target", flags.targets,
                                       "[NAME=]HOST:PORT of a running server (repeatable). HOST is an IPv4 "
                                       "address or localhost; NAME labels it in reports (default HOST:PORT)");
  flags.memcached_option =
      app.add_option("--start-memcached", flags.memcached_names,
                     "start Debian's memcached as target NAME on a free 127.0.0.1 port (TCP and UDP, "
                     "-U PORT -p PORT) and kill it when done, also on error or Ctrl-C (repeatable)");
  app.add_option("--memcached-threads", memcached.threads, "memcached -t for --start-memcached")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));
  app.add_option("--memcached-memory", memcached.memory_mb, "memcached -m (MB) for --start-memcached")
      ->capture_default_str()
      ->check(CLI::Range(1u, 65536u));
  app.add_option("--memcached-binary", memcached.binary, "memcached executable for --start-memcached")
      ->capture_default_str();
}

std::vector<TargetSpec> collectTargets(const CLI::App& app, const TargetFlags& flags) {
  std::vector<TargetSpec> specs;
  size_t next_target = 0, next_memcached = 0;
  for (const CLI::Option* option : app.parse_order()) {
    if (option == flags.target_option && next_target < flags.targets.size()) {
      const Target target = parseTarget(flags.targets[next_target++]);
      specs.push_back(TargetSpec{target.name, target.endpoint});
    } else if (option == flags.memcached_option && next_memcached < flags.memcached_names.size()) {
      specs.push_back(TargetSpec{flags.memcached_names[next_memcached++], std::nullopt});
    }
  }
  std::set<std::string> names;
  for (const TargetSpec& spec : specs) {
    if (spec.name.empty()) throw std::invalid_argument("a target needs a non-empty name");
    if (!names.insert(spec.name).second)
      throw std::invalid_argument(fmt::format("target name '{}' given twice", spec.name));
  }
  return specs;
}

std::map<std::string, pid_t> parseServerPids(const std::vector<std::string>& texts,
                                             const std::vector<TargetSpec>& targets) {
  std::map<std::string, pid_t> pids;
  for (const std::string& text : texts) {
    const size_t equals = text.find('=');
    pid_t pid = 0;
    const char* begin = text.data() + (equals == std::string::npos ? 0 : equals + 1);
    const auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), pid);
    if (equals == std::string::npos || ec != std::errc() || ptr != text.data() + text.size() || pid <= 0) {
      throw std::invalid_argument(fmt::format("--server-pid '{}': expected NAME=PID", text));
    }
    const std::string name = text.substr(0, equals);
    bool found = false;
    for (const TargetSpec& target : targets) {
      if (target.name != name) continue;
      found = true;
      if (!target.endpoint) {
        throw std::invalid_argument(
            fmt::format("--server-pid {}: mcbench started that memcached and knows its PID", name));
      }
    }
    if (!found) throw std::invalid_argument(fmt::format("--server-pid {}: no target of that name", name));
    pids[name] = pid;
  }
  return pids;
}

Protocol protocolNamed(const std::string& name) {
  return name == "tcp" ? Protocol::kTcp : Protocol::kUdp;
}

uint64_t fillKeySpace(size_t key_size, const std::string& prefix) {
  const size_t digits = key_size > prefix.size() + 1 ? key_size - prefix.size() - 1 : 0;
  if (digits == 0) throw std::invalid_argument(fmt::format("--key-size {} is too small for fill keys", key_size));
  uint64_t keys = 1;
  for (size_t i = 0; i < digits && keys < kMaxFillKeys; ++i) keys *= 10;
  return std::min(keys, kMaxFillKeys);
}

}  // namespace

std::variant<Options, int> parseOptions(int argc, char** argv) {
  Options options;
  options.shape = WorkloadShape{100000, 20, 64, "mcb"};
  TargetFlags load_targets, fill_targets;
  std::vector<std::string> server_pids;
  std::string proto = "udp", set_proto = "tcp", distribution = "uniform";
  double duration = 10, fill_duration = 120;
  uint32_t timeout_ms = 100;
  bool quiet = false;
  size_t fill_key_size = 20, fill_value_size = 100;
  bool fill_json = false;
  LoadSettings& settings = options.plan.settings;

  CLI::App app(kDescription, "mcbench");
  app.set_version_flag("--version", "mcbench " UNBUCKLE_VERSION);
  app.footer(kFooter);
  app.get_formatter()->column_width(34);
  addTargetFlags(app, load_targets, options.memcached);
  app.add_flag("--compare", options.compare,
               "run the same load against every target, one after the other, and print a table with ratios "
               "to the first target");
  app.add_option("--rounds", options.rounds,
                 "measure each target this many times for --duration, alternating between targets (forward, "
                 "then backward), and report the sums: background noise on a shared machine evens out")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100u));
  app.add_option("--server-pid", server_pids,
                 "NAME=PID of a --target's server process: its CPU time (/proc/PID/stat) before and after the run "
                 "gives server CPU seconds per million requests (automatic for --start-memcached)");
  app.add_flag("--pause-idle", options.pause_idle,
               "with --compare: stop (SIGSTOP) every target's server while another target is measured, so a "
               "server that spins on its core (--busy-poll) leaves that core to the others; needs a server pid "
               "for every target");
  app.add_option("--threads", options.plan.threads, "client threads, each with its own sockets")
      ->capture_default_str()
      ->check(CLI::Range(1u, kMaxThreads));
  app.add_option("--window", settings.window,
                 "requests outstanding per thread (1 = one at a time: the latency floor); UDP requests go out "
                 "in sendmmsg batches, TCP requests are pipelined")
      ->capture_default_str()
      ->check(CLI::Range(1u, kMaxWindow));
  app.add_flag("--spin", settings.spin,
               "client threads poll their sockets without sleeping (one core each): their own wake-ups "
               "leave the latency measured, which matters for --window 1");
  app.add_option("--proto", proto, "transport for GETs: udp or tcp")
      ->capture_default_str()
      ->check(CLI::IsMember({"udp", "tcp"}));
  app.add_option("--set-proto", set_proto, "transport for SETs: udp or tcp")
      ->capture_default_str()
      ->check(CLI::IsMember({"udp", "tcp"}));
  app.add_option("--get-ratio", settings.get_ratio, "fraction of requests that are GETs; the rest are SETs")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--keys", options.shape.keys, "size of the key space")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000'000}));
  app.add_option("--key-size", options.shape.key_size, "bytes per key (at most 250)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{5}, size_t{250}));
  app.add_option("--value-size", options.shape.value_size, "bytes per value")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{1'000'000}));
  app.add_option("--dist", distribution, "key popularity: uniform, or zipf (key 0 most popular)")
      ->capture_default_str()
      ->check(CLI::IsMember({"uniform", "zipf"}));
  app.add_option("--zipf-s", options.zipf_s, "Zipf exponent s for --dist zipf (P(rank k) ~ k^-s)")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 10.0));
  app.add_flag("--preload", options.preload, "set every key over TCP (pipelined) before measuring, so GETs hit");
  auto* duration_option =
      app.add_option("--duration", duration, "seconds to measure per target (at most 300; also the cap for --requests)")
          ->capture_default_str()
          ->check(CLI::Range(0.1, kMaxDurationSeconds));
  app.add_option("--requests", options.plan.requests,
                 "stop after this many requests per target instead (bounded by --duration, default then 300 s)")
      ->check(CLI::PositiveNumber);
  app.add_option("--timeout-ms", timeout_ms, "a UDP request without a complete reply after this long is lost")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10000u));
  app.add_flag("--validate", settings.validate,
               "check every GET hit: key, flags, length and value bytes against what mcbench sets (the key and "
               "the reply's framing are always checked)");
  app.add_option("--seed", options.plan.seed, "seed of the key and operation choices")->capture_default_str();
  app.add_flag("--json", options.json, "print the results as one JSON object on stdout");
  app.add_flag("--quiet", quiet, "no progress line on stderr");

  CLI::App* fill = app.add_subcommand("fill", "fill the target(s) until the first eviction; report items and bytes");
  fill->footer(kFillFooter);
  addTargetFlags(*fill, fill_targets, options.memcached);
  fill->add_option("--key-size", fill_key_size, "bytes per key")
      ->capture_default_str()
      ->check(CLI::Range(size_t{6}, size_t{250}));
  fill->add_option("--value-size", fill_value_size, "bytes per value")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{1'000'000}));
  fill->add_option("--duration", fill_duration, "give up after this many seconds per target (at most 300)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, kMaxDurationSeconds));
  fill->add_flag("--json", fill_json, "print the results as one JSON object on stdout");
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;
  }

  try {
    if (fill->parsed()) {
      if (!load_targets.targets.empty() || !load_targets.memcached_names.empty()) {
        throw std::invalid_argument("give fill's targets after 'fill'");
      }
      options.mode = Options::Mode::kFill;
      options.targets = collectTargets(*fill, fill_targets);
      options.shape = WorkloadShape{fillKeySpace(fill_key_size, "fill"), fill_key_size, fill_value_size, "fill"};
      options.plan.duration = std::chrono::duration<double>(fill_duration);
      options.json = fill_json;
    } else {
      options.targets = collectTargets(app, load_targets);
      options.server_pids = parseServerPids(server_pids, options.targets);
      settings.get_protocol = protocolNamed(proto);
      settings.set_protocol = protocolNamed(set_proto);
      settings.timeout = std::chrono::milliseconds(timeout_ms);
      options.distribution = distribution == "zipf" ? KeyDistribution::kZipf : KeyDistribution::kUniform;
      const bool duration_given = duration_option->count() > 0;
      options.plan.duration =
          std::chrono::duration<double>(options.plan.requests && !duration_given ? kMaxDurationSeconds : duration);
      options.plan.progress = !quiet;
      if (options.targets.size() > 1 && !options.compare) {
        throw std::invalid_argument("several targets need --compare");
      }
      if (options.compare && options.targets.size() < 2)
        throw std::invalid_argument("--compare needs two or more targets");
      if (options.pause_idle && !options.compare) throw std::invalid_argument("--pause-idle needs --compare");
      const Workload workload(options.shape);  // validates the shape
      const bool udp_sets = settings.get_ratio < 1 && settings.set_protocol == Protocol::kUdp;
      if (udp_sets && workload.maxSetSize() + 8 > kMaxUdpRequest) {
        throw std::invalid_argument("--value-size too large for a SET in one UDP datagram; use --set-proto tcp");
      }
    }
    if (options.targets.empty()) {
      throw std::invalid_argument("no target: give --target [NAME=]HOST:PORT or --start-memcached NAME");
    }
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "mcbench: {}\n", e.what());
    return 1;
  }
  return options;
}

}  // namespace unbuckle::mcbench
