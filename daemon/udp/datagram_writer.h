// Where memcached UDP datagrams go: the socket datapath fills sendmmsg
// buffers, an AF_XDP datapath fills TX frames. The writer knows the
// destination; the framing code (datagram_reply_sink.h) hands it data.
//
// Two ways in. A writer that can hold unsent datagrams lends their data
// areas (open()), the framing code copies reply bytes straight into them and
// numbers them when the message is complete (sendOpened()): a GET hit is
// copied once, from the store into the frame. Anything that does not fit
// there goes through write(), which copies from the framing code's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "udp/frame_header.h"

namespace unbuckle::udp {

class DatagramWriter {
 public:
  virtual ~DatagramWriter() = default;

  // Opens the next datagram of the message being built and returns room
  // for its data (MC_UDP_DATA_SIZE bytes), or an empty span when the writer
  // holds as many unsent datagrams as it can.
  virtual std::span<char> open() = 0;

  // Sends the datagrams opened since the last send or discard as the first
  // ones of a message of `total` datagrams: sequence 0, 1, ..., each with
  // MC_UDP_DATA_SIZE bytes of data but the last, which has `last_length`.
  virtual void sendOpened(uint16_t request_id, uint16_t total, size_t last_length) = 0;

  // Gives back the datagrams opened since the last send or discard.
  virtual void discardOpened() = 0;

  // Queues one datagram: `header` on the wire (8 bytes), then `data`
  // (at most MC_UDP_DATA_SIZE bytes). The writer counts what it sends.
  virtual void write(const FrameHeader& header, std::string_view data) = 0;
};

}  // namespace unbuckle::udp
