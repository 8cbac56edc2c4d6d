// The memcached ASCII protocol engine: request bytes in, reply bytes out to
// a ReplySink. No sockets, no umem, no BPF; the datapaths are adapters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/reply_sink.h"
#include "proto/stats.h"
#include "store/store.h"

namespace unbuckle::proto {

struct EngineConfig {
  // Shown by `stats settings` and `stats`; the engine does not open sockets.
  uint16_t tcp_port = 11211;
  uint16_t udp_port = 11211;
  uint32_t max_connections = 1024;
  uint32_t threads = 1;
  uint32_t verbosity = 0;
};

enum class Transport { kStream, kDatagram };

// Per-connection protocol state (one per TCP connection; one reused per
// worker for UDP, reset for every datagram).
struct Session {
  Transport transport = Transport::kStream;
  bool close = false;          // `quit` seen or a fatal protocol error: close after flushing
  size_t swallow = 0;          // bytes of a refused data block still to discard (stream only)
  size_t need = 0;             // hint: bytes the incomplete tail needs before it can be parsed
};

class Engine {
 public:
  Engine(store::Store& store, const EngineConfig& config, StatsRegistry& stats);

  // Executes every complete command at the start of `input`, appending
  // replies to `out`, and returns the number of bytes consumed.
  // Stream: an incomplete trailing command is not consumed; present it again
  // with more bytes (session.need says how many at least, when known).
  // Datagram: `input` is one whole UDP payload (frame header removed); an
  // incomplete trailing command or data block is dropped and counted, so the
  // return value is always input.size().
  size_t process(std::string_view input, ReplySink& out, Session& session, WorkerStats& worker);

 private:
  store::Store& store_;
  EngineConfig config_;
  StatsRegistry& stats_;
};

}  // namespace unbuckle::proto
