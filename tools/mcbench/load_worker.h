// One load thread: keeps up to `window` requests outstanding against one
// target, GETs and SETs over UDP or TCP as configured, and records every
// answered request's latency and verdict. Lost UDP requests time out, so a
// dropped datagram never stalls the window.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mcbench/histogram.h"
#include "mcbench/key_chooser.h"
#include "mcbench/random.h"
#include "mcbench/run_counters.h"
#include "mcbench/target.h"
#include "mcbench/tcp_channel.h"
#include "mcbench/udp_channel.h"
#include "mcbench/workload.h"

namespace unbuckle::mcbench {

using Clock = std::chrono::steady_clock;

enum class Protocol { kUdp, kTcp };

struct LoadSettings {
  Protocol get_protocol = Protocol::kUdp;
  Protocol set_protocol = Protocol::kTcp;
  uint32_t window = 16;
  double get_ratio = 0.9;
  bool validate = false;
  bool spin = false;   // poll the sockets without sleeping (--spin)
  std::chrono::milliseconds timeout{100};
};

// Whether any request of this load goes over `protocol`.
bool usesProtocol(const LoadSettings& settings, Protocol protocol);

// Published by the worker as it goes, read once a second for the progress line.
struct alignas(64) LiveCounters {
  std::atomic<uint64_t> answered{0};
  std::atomic<uint64_t> gets{0};
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> lost{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<bool> done{false};
  std::atomic<bool> failed{false};  // done because of an error; the run stops
};

class LoadWorker {
 public:
  // Opens the sockets; throws std::runtime_error when the target cannot be
  // reached. `budget` bounds the requests issued, 0 for no bound.
  LoadWorker(const LoadSettings& settings, const Workload& workload, const KeyChooser& chooser,
             const Endpoint& endpoint, uint64_t seed, uint64_t budget);

  // Runs until `stop` is set or the budget is answered or lost. Never
  // throws: a failure ends the loop and is kept in error().
  void run(const std::atomic<bool>& stop);

  const RunCounters& counters() const { return counters_; }
  const LatencyHistogram& latency() const { return latency_; }
  const std::string& error() const { return error_; }
  Clock::time_point finishedAt() const { return finished_at_; }
  const LiveCounters& live() const { return live_; }

 private:
  struct Slot {
    bool busy = false;
    Op op = Op::kGet;
    Protocol protocol = Protocol::kUdp;
    uint64_t key = 0;
    Clock::time_point sent_at;
  };

  void loop(const std::atomic<bool>& stop);
  void issue();
  bool flushUdp();  // false when the kernel refused some requests
  void waitAndReceive();
  void receiveUdp(bool wait);
  void receiveTcp();
  void complete(uint32_t slot, std::string_view reply, Clock::time_point now);
  void fail(uint32_t slot, ErrorKind kind);
  void expire(Clock::time_point now);
  void release(uint32_t slot);
  void publish();

  LoadSettings settings_;
  const Workload& workload_;
  const KeyChooser& chooser_;
  Rng rng_;
  uint64_t budget_;
  uint64_t issued_ = 0;

  std::unique_ptr<UdpChannel> udp_;
  std::unique_ptr<TcpChannel> tcp_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  uint32_t in_flight_ = 0;
  Clock::time_point last_expiry_scan_;

  std::string request_;
  std::string expected_key_;
  RunCounters counters_;
  LatencyHistogram latency_;
  LiveCounters live_;
  std::string error_;
  Clock::time_point finished_at_;
};

}  // namespace unbuckle::mcbench
