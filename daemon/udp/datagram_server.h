// The memcached UDP server of one worker, for every UDP datapath (the
// socket backend's UdpEndpoint, the AF_XDP QueueWorker): a received
// datagram goes through the allow list (source_filter.h), the frame header
// checks (frame_header.h), the source's reply budget (reply_budget.h) and
// the protocol engine; the replies leave numbered and framed through the
// datapath's DatagramWriter. The datapath only receives datagrams, says
// where each came from (before serve()) and sends what the writer was
// given. Whether a request is answered is decided here, once, before any
// reply work: the writer prepares a reply (DatagramWriter::startReply())
// only for a request that passed all three checks.
//
// Admin commands (stats, flush_all, verbosity, shutdown, lru_crawler,
// watch, me) are refused unless --udp-admin on: the engine sees a session
// with admin_commands off.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/engine.h"
#include "proto/stats.h"
#include "udp/allow_list.h"
#include "udp/datagram_reply_sink.h"
#include "udp/datagram_writer.h"
#include "udp/reply_budget.h"
#include "udp/source_address.h"
#include "udp/source_filter.h"

namespace unbuckle::udp {

struct DatagramServerSettings {
  const AllowList* allow = nullptr;                    // sources that get answers; outlives the server
  size_t max_reply_bytes = 0;                          // per request, see DatagramReplySink
  ReplyBudgetConfig budget;                            // per source
  bool admin_commands = false;                         // --udp-admin
  bool coalesce_replies = false;                       // --udp-coalesce-replies, see DatagramReplySink
  // --debug-fixed-reply: the reply to every request instead of the
  // engine's (still through the allow list and the budget); outlives the server.
  const std::string* fixed_reply = nullptr;
};

class DatagramServer {
 public:
  DatagramServer(DatagramWriter& out, proto::Engine& engine, proto::WorkerStats& stats,
                 const DatagramServerSettings& settings);

  // Serves one received UDP payload from `source` at `now_ns`
  // (CLOCK_MONOTONIC): drops it (counted) when the allow list, the frame
  // checks or the budget refuse it, else starts a reply on the writer and
  // answers through it.
  void serve(std::string_view datagram, const SourceAddress& source, uint64_t now_ns);

  // CLOCK_MONOTONIC in nanoseconds, for serve().
  static uint64_t now();

 private:
  DatagramWriter& out_;
  proto::Engine& engine_;
  proto::WorkerStats& stats_;
  const std::string* fixed_reply_;
  bool admin_commands_;
  SourceFilter filter_;
  ReplyBudget budget_;
  DatagramReplySink sink_;
  proto::Session session_;
};

}  // namespace unbuckle::udp
