// memcached's 8-byte UDP frame header (include/unbuckle/mc_udp.h) as host
// values, and the rules memcached 1.6.18 applies to a request datagram.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "proto/stats.h"

namespace unbuckle::udp {

struct FrameHeader {
  uint16_t request_id = 0;
  uint16_t sequence = 0;
  uint16_t total = 0;
  uint16_t reserved = 0;
};

// `bytes` holds at least MC_UDP_HEADER_SIZE bytes; fields are big-endian.
FrameHeader readFrameHeader(const char* bytes);
void writeFrameHeader(const FrameHeader& header, char* out);

struct Request {
  uint16_t request_id = 0;
  std::string_view payload;   // the ASCII request, frame header removed
};

// Accepts one received datagram the way memcached does: 8 bytes or fewer are
// dropped, a request spread over several datagrams (total != 1) is dropped,
// sequence and reserved are ignored. Counts udp_datagrams_in, bytes_read
// (datagrams longer than 8 bytes, as memcached) and the drops in `stats`.
std::optional<Request> parseRequest(std::string_view datagram, proto::WorkerStats& stats);

}  // namespace unbuckle::udp
