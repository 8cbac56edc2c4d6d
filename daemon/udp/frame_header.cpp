#include "udp/frame_header.h"

#include "unbuckle/mc_udp.h"

namespace unbuckle::udp {

std::optional<Request> parseRequest(std::string_view datagram, proto::WorkerStats& stats) {
  proto::bump(stats.udp_datagrams_in);
  if (datagram.size() <= MC_UDP_HEADER_SIZE) {
    proto::bump(stats.udp_dropped_short);
    return std::nullopt;
  }
  proto::bump(stats.bytes_read, datagram.size());
  const FrameHeader header = readFrameHeader(datagram.data());
  if (header.total != 1) {
    proto::bump(stats.udp_dropped_multipacket);
    return std::nullopt;
  }
  return Request{header.request_id, datagram.substr(MC_UDP_HEADER_SIZE)};
}

}  // namespace unbuckle::udp
