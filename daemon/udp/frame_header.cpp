#include "udp/frame_header.h"

#include "unbuckle/mc_udp.h"

namespace unbuckle::udp {
namespace {

uint16_t readBigEndian(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) << 8 | static_cast<uint8_t>(p[1]));
}

void writeBigEndian(uint16_t value, char* p) {
  p[0] = static_cast<char>(value >> 8);
  p[1] = static_cast<char>(value & 0xff);
}

}  // namespace

FrameHeader readFrameHeader(const char* bytes) {
  return FrameHeader{readBigEndian(bytes), readBigEndian(bytes + 2), readBigEndian(bytes + 4),
                     readBigEndian(bytes + 6)};
}

void writeFrameHeader(const FrameHeader& header, char* out) {
  writeBigEndian(header.request_id, out);
  writeBigEndian(header.sequence, out + 2);
  writeBigEndian(header.total, out + 4);
  writeBigEndian(header.reserved, out + 6);
}

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
