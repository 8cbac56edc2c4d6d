#include "mcbench/fill.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "mcbench/memcached_stats.h"
#include "mcbench/pipelined_sets.h"
#include "mcbench/stop_signal.h"
#include "mcbench/tcp_connection.h"

namespace unbuckle::mcbench {

namespace {

constexpr uint64_t kStatsEvery = 4 * kSetChunk;

}  // namespace

double FillResult::limitBytesPerItem() const {
  return curr_items ? static_cast<double>(limit_maxbytes) / static_cast<double>(curr_items) : 0.0;
}

double FillResult::accountedBytesPerItem() const {
  return curr_items ? static_cast<double>(bytes) / static_cast<double>(curr_items) : 0.0;
}

FillResult fillUntilEviction(const Endpoint& endpoint, const Workload& workload,
                             std::chrono::duration<double> time_cap) {
  TcpConnection connection(endpoint);
  const StatsMap before = connection.stats();
  const uint64_t evictions_before = statNumber(before, "evictions");
  FillResult result;
  result.items_before = statNumber(before, "curr_items");

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + time_cap;
  const uint64_t keys = workload.shape().keys;
  SetTally tally;
  StatsMap stats = before;
  for (uint64_t key = 0; key < keys && !stopRequested() && std::chrono::steady_clock::now() < deadline;) {
    const uint64_t batch_end = std::min(keys, key + kStatsEvery);
    for (; key < batch_end; key += kSetChunk)
      setChunk(connection, workload, key, std::min(kSetChunk, batch_end - key), tally);
    if (tally.refused > 0) {
      throw std::runtime_error(fmt::format("{} refused a set: {}", endpoint.str(), tally.first_refusal));
    }
    stats = connection.stats();
    if (statNumber(stats, "evictions") > evictions_before) {
      result.evicted = true;
      break;
    }
  }
  result.sets = tally.stored;
  result.curr_items = statNumber(stats, "curr_items");
  result.bytes = statNumber(stats, "bytes");
  result.limit_maxbytes = statNumber(stats, "limit_maxbytes");
  result.evictions = statNumber(stats, "evictions") - evictions_before;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace unbuckle::mcbench
