#include "client/udp_frame_header.h"

#include "unbuckle/mc_udp.h"

namespace unbuckle::client {

namespace {

uint16_t readBigEndian16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

void writeBigEndian16(char* p, uint16_t value) {
  p[0] = static_cast<char>(value >> 8);
  p[1] = static_cast<char>(value & 0xff);
}

}  // namespace

std::optional<FrameHeader> parseFrameHeader(std::string_view datagram) {
  if (datagram.size() < MC_UDP_HEADER_SIZE) return std::nullopt;
  const char* p = datagram.data();
  return FrameHeader{readBigEndian16(p), readBigEndian16(p + 2), readBigEndian16(p + 4), readBigEndian16(p + 6)};
}

void writeFrameHeader(char* out, const FrameHeader& header) {
  writeBigEndian16(out, header.request_id);
  writeBigEndian16(out + 2, header.sequence);
  writeBigEndian16(out + 4, header.total);
  writeBigEndian16(out + 6, header.reserved);
}

}  // namespace unbuckle::client
