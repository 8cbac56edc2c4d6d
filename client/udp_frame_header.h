// memcached's 8-byte UDP frame header (request id, sequence, total,
// reserved; big-endian on the wire, include/unbuckle/mc_udp.h), as the
// client library and mcbench read and write it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace unbuckle::client {

struct FrameHeader {
  uint16_t request_id = 0;
  uint16_t sequence = 0;
  uint16_t total = 0;
  uint16_t reserved = 0;
};

// nullopt when the datagram is shorter than the header.
std::optional<FrameHeader> parseFrameHeader(std::string_view datagram);
void writeFrameHeader(char* out, const FrameHeader& header);

// A single datagram carrying a whole message (the common case), which needs
// no reassembly: sequence 0 of 1, reserved 0.
inline bool isWholeMessage(const FrameHeader& header) {
  return header.sequence == 0 && header.total == 1 && header.reserved == 0;
}

}  // namespace unbuckle::client
