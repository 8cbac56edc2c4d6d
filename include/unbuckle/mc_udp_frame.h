// memcached's 8-byte UDP frame header (request id, sequence, total,
// reserved; big-endian on the wire, layout in mc_udp.h) as host values: the
// one C++ model the daemon, the client library, mcbench and the tests share.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "unbuckle/mc_udp.h"

namespace unbuckle {

struct FrameHeader {
  uint16_t request_id = 0;
  uint16_t sequence = 0;
  uint16_t total = 0;
  uint16_t reserved = 0;
};

namespace mc_udp_frame_detail {

inline uint16_t loadBigEndian16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) << 8 | static_cast<uint8_t>(p[1]));
}

inline void storeBigEndian16(uint16_t value, char* p) {
  p[0] = static_cast<char>(value >> 8);
  p[1] = static_cast<char>(value & 0xff);
}

}  // namespace mc_udp_frame_detail

// `bytes` holds at least MC_UDP_HEADER_SIZE bytes.
inline FrameHeader readFrameHeader(const char* bytes) {
  using mc_udp_frame_detail::loadBigEndian16;
  return FrameHeader{loadBigEndian16(bytes), loadBigEndian16(bytes + 2), loadBigEndian16(bytes + 4),
                     loadBigEndian16(bytes + 6)};
}

// `out` has room for MC_UDP_HEADER_SIZE bytes.
inline void writeFrameHeader(const FrameHeader& header, char* out) {
  using mc_udp_frame_detail::storeBigEndian16;
  storeBigEndian16(header.request_id, out);
  storeBigEndian16(header.sequence, out + 2);
  storeBigEndian16(header.total, out + 4);
  storeBigEndian16(header.reserved, out + 6);
}

// The header at the start of a received datagram; nullopt when the datagram
// is shorter than the header.
inline std::optional<FrameHeader> parseFrameHeader(std::string_view datagram) {
  if (datagram.size() < MC_UDP_HEADER_SIZE) return std::nullopt;
  return readFrameHeader(datagram.data());
}

// A single datagram carrying a whole message (the common case), which needs
// no reassembly: sequence 0 of 1, reserved 0.
inline bool isWholeMessage(const FrameHeader& header) {
  return header.sequence == 0 && header.total == 1 && header.reserved == 0;
}

}  // namespace unbuckle
