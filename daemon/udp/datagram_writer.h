// Where memcached UDP datagrams go: the socket datapath fills sendmmsg
// buffers, an AF_XDP datapath fills TX frames. The writer knows the
// destination; the framing code only hands it header and payload.
#pragma once

#include <string_view>

#include "udp/frame_header.h"

namespace unbuckle::udp {

class DatagramWriter {
 public:
  virtual ~DatagramWriter() = default;
  // Queues one datagram: `header` on the wire (8 bytes), then `data`
  // (at most MC_UDP_DATA_SIZE bytes). The writer counts what it sends.
  virtual void write(const FrameHeader& header, std::string_view data) = 0;
};

}  // namespace unbuckle::udp
