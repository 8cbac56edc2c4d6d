// The rules memcached 1.6.18 applies to a request datagram's frame header
// (the header itself: include/unbuckle/mc_udp_frame.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "proto/stats.h"
#include "unbuckle/mc_udp_frame.h"

namespace unbuckle::udp {

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
