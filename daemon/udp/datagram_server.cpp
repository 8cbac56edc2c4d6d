#include "udp/datagram_server.h"

#include <time.h>

#include "udp/frame_header.h"

namespace unbuckle::udp {

DatagramServer::DatagramServer(DatagramWriter& out, proto::Engine& engine, proto::WorkerStats& stats,
                               const DatagramServerSettings& settings)
    : out_(out),
      engine_(engine),
      stats_(stats),
      fixed_reply_(settings.fixed_reply),
      admin_commands_(settings.admin_commands),
      filter_(*settings.allow, stats),
      budget_(settings.budget),
      sink_(out, stats, settings.max_reply_bytes, settings.coalesce_replies) {}

uint64_t DatagramServer::now() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000u + static_cast<uint64_t>(now.tv_nsec);
}

void DatagramServer::serve(std::string_view datagram, const SourceAddress& source, uint64_t now_ns) {
  if (!filter_.admits(source)) {
    return;
  }
  const std::optional<Request> request = parseRequest(datagram, stats_);
  if (!request) {
    return;
  }
  if (!budget_.admits(source, now_ns)) {
    proto::bump(stats_.udp_dropped_over_budget);
    return;
  }
  out_.startReply();
  sink_.startRequest(request->request_id);
  if (fixed_reply_ != nullptr) {
    sink_.append(*fixed_reply_);
    sink_.endResponse();
  } else {
    session_ = proto::Session{};
    session_.transport = proto::Transport::kDatagram;
    session_.admin_commands = admin_commands_;
    engine_.process(request->payload, sink_, session_, stats_);
  }
  sink_.finishRequest();
  budget_.debit(sink_.requestBytesSent());
}

}  // namespace unbuckle::udp
