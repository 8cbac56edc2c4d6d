// The memcached ASCII protocol engine: request bytes in, reply bytes out to
// a ReplySink. No sockets, no umem, no BPF; the datapaths are adapters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
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
  std::string listen;              // the address TCP and UDP listen on (`inter`)
  uint32_t idle_timeout = 0;       // seconds; 0: idle TCP connections stay open
  // Initial `verbosity` (a runtime setting kept in the StatsRegistry; it is
  // only shown, nothing is logged per command).
  uint32_t verbosity = 0;
  // memcached's switches, from the daemon's flags (cas on or off is the
  // store's: StoreConfig::use_cas).
  bool flush_enabled = true;                // --disable-flush-all (-F)
  bool dump_enabled = true;                 // --disable-dumping (-X)
  // --no-lru-crawler: the initial `lru_crawler enable|disable` (RuntimeSettings).
  bool lru_crawler = true;
  // --no-lru-maintainer: no background reclaim at the LRU tails nor page
  // moves (daemon/main.cpp); `stats` and `lru` answer as memcached's without it.
  bool lru_maintainer = true;
  // --temporary-ttl: the initial `lru temp_ttl` (RuntimeSettings).
  std::optional<uint32_t> temporary_ttl;
  // `shutdown` (--enable-shutdown, -A): stops the daemon, graceful or not;
  // empty = refused as memcached without -A.
  std::function<void(bool graceful)> shutdown;
};

enum class Transport { kStream, kDatagram };

// Per-connection protocol state (one per TCP connection; one reused per
// worker for UDP, reset for every datagram).
struct Session {
  Transport transport = Transport::kStream;
  // Close after flushing: `quit`, a request line ending in "HTTP/...", or an
  // unterminated line over 2048 bytes that is not a get (memcached closes
  // those). Nothing after that point is processed. For datagrams it only
  // means "stop": the UDP datapath ignores it.
  bool close = false;
  size_t swallow = 0;          // bytes of a refused data block still to discard (stream only)
  // After process(): at least how many more bytes the unconsumed tail needs
  // (set while a data block is incomplete); 0 when unknown, e.g. while a
  // command line has no newline yet. A multi-key get line may grow without
  // bound before its newline (memcached allows it); the datapath caps it.
  size_t need = 0;
  // Set by a stream datapath before process(): replies to earlier commands
  // still wait to be sent (memcached's resp_has_stack(), which metadump checks).
  bool replies_waiting = false;
  // Set by a stream datapath before process(): the largest data block it
  // can still buffer. A storage command whose block is longer and has not
  // all arrived is answered "SERVER_ERROR out of memory storing object" and
  // its block swallowed, as memcached does when it cannot allocate the item.
  size_t block_room = SIZE_MAX;
  // Whether stats, flush_all, verbosity, shutdown, lru_crawler, watch and
  // the meta debug command `me` run; off, each is answered
  // "CLIENT_ERROR <command> not allowed over UDP" (the UDP datapath turns
  // them off unless --udp-admin on).
  bool admin_commands = true;
  // Stream only, kept by process() between calls: how many bytes at the
  // start of the unconsumed input are known to hold no newline (the
  // unterminated line it last returned without consuming). The next call,
  // given those bytes again and more, searches only the rest, so a long
  // line arriving a byte at a time costs its length, not its square.
  size_t line_scanned = 0;
};

// Where the line at the start of `input` ends (the offset of its '\n'), or
// npos. Searches only past `scanned` (bytes of `input` already searched) and
// records how far it got: input.size() when there is no newline yet, 0 once
// there is one (the next line starts afresh).
size_t findLineEnd(std::string_view input, size_t& scanned);

// An engine keeps no per-call state, so one engine may serve every worker
// at once. Build it at start-up: the constructor publishes config.verbosity
// and config.temporary_ttl as runtime settings in the registry.
class Engine {
 public:
  Engine(store::Store& store, const EngineConfig& config, StatsRegistry& stats);

  // Executes every complete command at the start of `input`, appending
  // replies to `out`, and returns the number of bytes consumed.
  // Stream: an incomplete trailing command is not consumed; present it again
  // with more bytes (session.need says how many at least, when known), and
  // nothing else: an unterminated line is not searched again up to
  // session.line_scanned.
  // Datagram: `input` is one whole UDP payload (frame header removed); an
  // incomplete trailing command or data block is dropped and counted, so the
  // return value is always input.size().
  // Response objects end where memcached 1.6.18's mc_resp objects end, and
  // an empty one is only ended when memcached would send it as a
  // header-only datagram (see ResponseStream in command_context.h).
  size_t process(std::string_view input, ReplySink& out, Session& session, WorkerStats& worker);

 private:
  store::Store& store_;
  EngineConfig config_;
  StatsRegistry& stats_;
};

}  // namespace unbuckle::proto
