// client_bench: multi-gets through the client library (include/unbuckle/
// client.h), over UDP against one server and over TCP against another, in
// the same run, one thread each phase, a fixed number of multi-gets in
// flight (or each of a list of such numbers in turn). Both phases take the
// hits the same way, startGet() or startGetTcp() then takeGet(): as the map
// of the hits (--values map, which copies every value), or through a
// ValueSink that counts them (--values sink: nothing copied or allocated per
// key), or each in turn (map,sink). Reports keys per second, the p50/p99
// latency of a multi-get, and the client thread's CPU time per key, in user
// space and in the kernel.
//
//   client_bench [--udp HOST:PORT] [--tcp HOST:PORT] [--keys-per-get 10]
//                [--in-flight 8|LIST] [--values map|sink|map,sink] [--seconds 5]
//                [--key-count 10000] [--value-size 100] [--udp-keys-per-request N]
//
// --udp-keys-per-request is ClientOptions::udp_keys_per_request (default 0:
// as many keys as fit one datagram; 1: one `get k` per key, which
// unbuckle-xdp's kernel cache can answer). --in-flight 1,2,4,8,16 measures
// each phase at each depth: a transport's key rate at a given p99 is then
// read off its rows (tools/client-bench.sh compares them so).
//
// Each phase runs when its server is given (the UDP phase first); each
// server is preloaded over TCP just before its phase. Where it may send
// load is mcbench's rule (tools/mcbench/target.h): loopback, or a directly
// connected interface that does not carry the default route (a test
// namespace's veth).

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mcbench/target.h"
#include "unbuckle/client.h"

namespace {

using Clock = std::chrono::steady_clock;
using unbuckle::client::ServerClient;

struct Options {
  std::string udp;
  std::string tcp;
  size_t keys_per_get = 10;
  std::vector<size_t> in_flights{8};
  std::vector<std::string> value_modes{"map"};
  double seconds = 5;
  size_t key_count = 10000;
  size_t value_size = 100;
  unsigned udp_keys_per_request = 0;
};

struct Result {
  double keys_per_second = 0;
  double hit_ratio = 0;
  double p50_us = 0;
  double p99_us = 0;
  double user_ns_per_key = 0;    // the client thread's CPU, in user space
  double kernel_ns_per_key = 0;  // and in the kernel (system calls, softirqs it ran)
};

double cpuSeconds(const timeval& time) { return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6; }

[[noreturn]] void usage(const char* why);

// "8" or "1,2,4,8": an empty or unparseable entry is 0, refused by the caller.
std::vector<size_t> parseList(const char* text) {
  std::vector<size_t> values;
  for (const char* at = text;; ++at) {
    char* end = nullptr;
    values.push_back(std::strtoul(at, &end, 10));
    if (end == at) values.back() = 0;
    at = end;
    if (*at != ',') {
      if (*at != '\0') values.back() = 0;
      return values;
    }
  }
}

// "map", "sink" or "map,sink"; anything else is refused.
std::vector<std::string> parseModes(std::string_view text) {
  std::vector<std::string> modes;
  for (;;) {
    const size_t comma = text.find(',');
    const std::string_view mode = text.substr(0, comma);
    if (mode != "map" && mode != "sink") usage("--values takes map, sink or map,sink");
    modes.emplace_back(mode);
    if (comma == std::string_view::npos) return modes;
    text.remove_prefix(comma + 1);
  }
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "client_bench: %s\nusage: client_bench [--udp HOST:PORT] [--tcp HOST:PORT] [--keys-per-get N] "
               "[--in-flight N|LIST] [--values map|sink|map,sink] [--seconds S] [--key-count N] [--value-size BYTES] [--udp-keys-per-request N]\n", why);
  std::exit(1);
}

std::pair<std::string, uint16_t> allowedEndpoint(const std::string& text) {
  using unbuckle::mcbench::parseTarget;
  const auto endpoint = parseTarget(text).endpoint;
  const auto verdict = unbuckle::mcbench::checkTargetAllowed(endpoint.address);
  if (!verdict.allowed) {
    throw std::invalid_argument("refusing " + text + ": " + verdict.reason +
                                "; only loopback and directly connected test interfaces are allowed");
  }
  const std::string address = endpoint.str();
  return {address.substr(0, address.rfind(':')), endpoint.port};
}

// Built once, so that a multi-get's keys are a slice of them and the
// benchmark itself costs nothing per key.
std::vector<std::string> benchKeys(size_t count) {
  std::vector<std::string> keys;
  keys.reserve(count);
  for (size_t i = 0; i < count; ++i) keys.push_back("bench:" + std::to_string(i));
  return keys;
}

void preload(ServerClient& client, std::span<const std::string> keys, const Options& options) {
  const std::string value(options.value_size, 'v');
  for (const std::string& key : keys) client.set(key, value);
}

enum class Transport { kUdp, kTcp };

// Keeps `in_flight` multi-gets going for `seconds`: startGet() or
// startGetTcp(), each ended by takeGet(), its hits in the map it returns
// or, `to_sink`, counted by a ValueSink as they are parsed.
Result run(ServerClient& client, std::span<const std::string> keys, const Options& options, size_t in_flight,
           Transport transport, bool to_sink) {
  std::mt19937_64 random(42);
  std::uniform_int_distribution<size_t> pick(0, keys.size() - options.keys_per_get);
  struct InFlight {
    ServerClient::Ticket ticket;
    Clock::time_point started;
  };
  std::deque<InFlight> flying;
  std::vector<double> latencies_us;
  size_t asked = 0;
  size_t hits = 0;
  const unbuckle::client::ValueSink sink = [&hits](const unbuckle::client::ValueView&) { ++hits; };
  rusage cpu_before{};
  getrusage(RUSAGE_THREAD, &cpu_before);
  const auto begin = Clock::now();
  const auto end = begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));
  while (Clock::now() < end || !flying.empty()) {
    while (Clock::now() < end && flying.size() < in_flight) {
      // Distinct keys: a repeat would be asked once over UDP.
      const auto batch = keys.subspan(pick(random), options.keys_per_get);
      const ServerClient::Ticket ticket =
          transport == Transport::kUdp ? client.startGet(batch, false, to_sink ? sink : nullptr)
                                       : client.startGetTcp(batch, false, to_sink ? sink : nullptr);
      flying.push_back(InFlight{ticket, Clock::now()});
    }
    client.poll(std::chrono::milliseconds(1));
    for (auto it = flying.begin(); it != flying.end();) {
      const auto result = client.takeGet(it->ticket);
      if (!result) {
        ++it;
        continue;
      }
      latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - it->started).count());
      asked += options.keys_per_get;
      hits += result->items.size();  // 0 with the sink, which counts them itself
      it = flying.erase(it);
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  rusage cpu_after{};
  getrusage(RUSAGE_THREAD, &cpu_after);
  std::sort(latencies_us.begin(), latencies_us.end());
  Result result;
  result.keys_per_second = static_cast<double>(asked) / elapsed;
  result.hit_ratio = asked ? static_cast<double>(hits) / static_cast<double>(asked) : 0;
  if (asked != 0) {
    const double per_key = 1e9 / static_cast<double>(asked);
    result.user_ns_per_key = (cpuSeconds(cpu_after.ru_utime) - cpuSeconds(cpu_before.ru_utime)) * per_key;
    result.kernel_ns_per_key = (cpuSeconds(cpu_after.ru_stime) - cpuSeconds(cpu_before.ru_stime)) * per_key;
  }
  if (!latencies_us.empty()) {
    result.p50_us = latencies_us[latencies_us.size() / 2];
    result.p99_us = latencies_us[latencies_us.size() * 99 / 100];
  }
  return result;
}

void print(const char* name, const std::string& values, size_t in_flight, const Result& result) {
  std::printf("%-4s %-4s %3zu in flight %12.0f keys/s  hits %5.1f%%  p50 %8.1f us  p99 %8.1f us  cpu/key user %6.0f ns kernel %6.0f ns\n",
              name, values.c_str(), in_flight, result.keys_per_second, result.hit_ratio * 100, result.p50_us, result.p99_us, result.user_ns_per_key,
              result.kernel_ns_per_key);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--udp") options.udp = value;
    else if (flag == "--tcp") options.tcp = value;
    else if (flag == "--keys-per-get") options.keys_per_get = std::strtoul(value, nullptr, 10);
    else if (flag == "--in-flight") options.in_flights = parseList(value);
    else if (flag == "--values") options.value_modes = parseModes(value);
    else if (flag == "--seconds") options.seconds = std::atof(value);
    else if (flag == "--key-count") options.key_count = std::strtoul(value, nullptr, 10);
    else if (flag == "--value-size") options.value_size = std::strtoul(value, nullptr, 10);
    else if (flag == "--udp-keys-per-request") options.udp_keys_per_request = static_cast<unsigned>(std::strtoul(value, nullptr, 10));
    else usage("unknown flag");
  }
  if (options.udp.empty() && options.tcp.empty()) usage("--udp or --tcp (or both) is required");
  const bool depths_valid = std::all_of(options.in_flights.begin(), options.in_flights.end(),
                                        [](size_t depth) { return depth >= 1 && depth <= 1024; });
  if (options.keys_per_get == 0 || options.keys_per_get > options.key_count || !depths_valid || options.key_count == 0 || options.seconds <= 0 ||
      options.seconds > 600) {
    usage("--keys-per-get (at most --key-count) and --key-count must be at least 1, --in-flight 1 to 1024 (or a list "
          "such as 1,2,4), --seconds 0 to 600");
  }
  try {
    std::printf("multi-gets of %zu keys, %zu-byte values, %.1f s each, UDP keys per request %s\n",
                options.keys_per_get, options.value_size, options.seconds,
                options.udp_keys_per_request ? std::to_string(options.udp_keys_per_request).c_str() : "as many as fit");
    const std::vector<std::string> keys = benchKeys(options.key_count);
    if (!options.udp.empty()) {
      const auto [host, port] = allowedEndpoint(options.udp);
      unbuckle::client::ClientOptions udp_options;
      udp_options.udp_keys_per_request = options.udp_keys_per_request;
      ServerClient udp(host, port, udp_options);
      preload(udp, keys, options);
      for (const std::string& values : options.value_modes) {
        for (const size_t depth : options.in_flights) {
          print("UDP", values, depth, run(udp, keys, options, depth, Transport::kUdp, values == "sink"));
        }
      }
    }
    if (!options.tcp.empty()) {
      const auto [host, port] = allowedEndpoint(options.tcp);
      ServerClient tcp(host, port);
      preload(tcp, keys, options);
      for (const std::string& values : options.value_modes) {
        for (const size_t depth : options.in_flights) {
          print("TCP", values, depth, run(tcp, keys, options, depth, Transport::kTcp, values == "sink"));
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "client_bench: %s\n", e.what());
    return 1;
  }
}
