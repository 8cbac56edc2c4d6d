// Where the protocol engine puts reply bytes. The datapath decides how they
// travel: a TCP output buffer, or memcached UDP messages.
#pragma once

#include <string_view>

namespace unbuckle::proto {

class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // Appends bytes to the response object under construction.
  virtual void append(std::string_view bytes) = 0;
  // Ends one memcached response object (memcached 1.6's mc_resp). Over UDP
  // each one is its own message: datagrams with seq 0..n-1 and total n
  // (an empty one is a header-only datagram with total 0, as after `quit`).
  // Over TCP this is only a boundary. Suppressed replies (noreply, meta q)
  // never reach the sink at all.
  virtual void endResponse() = 0;
};

}  // namespace unbuckle::proto
