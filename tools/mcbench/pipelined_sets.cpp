#include "mcbench/pipelined_sets.h"

namespace unbuckle::mcbench {

void setChunk(TcpConnection& connection, const Workload& workload, uint64_t first, uint64_t count, SetTally& tally) {
  std::string requests;
  for (uint64_t key = first; key < first + count; ++key) workload.appendSet(requests, key);
  connection.send(requests);
  for (uint64_t i = 0; i < count; ++i) {
    const std::string_view line = connection.readLine();
    if (line == "STORED") {
      ++tally.stored;
    } else {
      if (tally.refused++ == 0) tally.first_refusal = std::string(line);
    }
  }
}

}  // namespace unbuckle::mcbench
