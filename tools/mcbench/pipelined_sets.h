// Sets a run of keys over a blocking TCP connection in pipelined chunks:
// a chunk of requests is written whole, then its replies are read. A chunk
// is small enough that its replies fit in socket buffers, so the two sides
// never wait on each other.
#pragma once

#include <cstdint>
#include <string>

#include "mcbench/tcp_connection.h"
#include "mcbench/workload.h"

namespace unbuckle::mcbench {

inline constexpr uint64_t kSetChunk = 64;

struct SetTally {
  uint64_t stored = 0;
  uint64_t refused = 0;
  std::string first_refusal;  // the first non-STORED reply line
};

// Sets keys [first, first + count), count <= kSetChunk.
void setChunk(TcpConnection& connection, const Workload& workload, uint64_t first, uint64_t count, SetTally& tally);

}  // namespace unbuckle::mcbench
