#include "mcbench/preload.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>
#include <vector>

#include "mcbench/pipelined_sets.h"
#include "mcbench/stop_signal.h"

namespace unbuckle::mcbench {

PreloadResult preload(const Endpoint& endpoint, const Workload& workload, uint32_t connections) {
  const uint64_t keys = workload.shape().keys;
  connections = static_cast<uint32_t>(std::min<uint64_t>(connections, keys));
  std::vector<TcpConnection> sockets;
  for (uint32_t i = 0; i < connections; ++i) sockets.emplace_back(endpoint);

  const auto start = std::chrono::steady_clock::now();
  std::vector<SetTally> tallies(connections);
  std::vector<std::exception_ptr> failures(connections);
  std::vector<std::thread> threads;
  for (uint32_t i = 0; i < connections; ++i) {
    threads.emplace_back([&, i] {
      const uint64_t begin = keys * i / connections;
      const uint64_t end = keys * (i + 1) / connections;
      try {
        for (uint64_t key = begin; key < end && !stopRequested(); key += kSetChunk) {
          setChunk(sockets[i], workload, key, std::min(kSetChunk, end - key), tallies[i]);
        }
      } catch (...) {
        failures[i] = std::current_exception();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }

  PreloadResult result;
  for (const SetTally& tally : tallies) {
    result.stored += tally.stored;
    result.refused += tally.refused;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace unbuckle::mcbench
