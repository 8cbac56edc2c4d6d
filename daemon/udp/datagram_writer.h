// Where memcached UDP datagrams go: the socket datapath fills sendmmsg
// buffers, an AF_XDP datapath fills TX frames. The writer knows the
// destination and the headers below UDP; the framing code
// (datagram_reply_sink.h) fills whole memcached datagrams: the 8-byte frame
// header with its numbering, then the data.
//
// The datapath tells its writer where the request being served came from
// before DatagramServer::serve(), and nothing more: the server decides
// whether to answer (allow list, frame checks, budget), and only for a
// request it answers does it call startReply(), where the writer prepares
// the replies' destination and headers. A dropped request costs the writer
// nothing.
//
// Two ways in. A writer that can hold unsent datagrams lends them
// (open()), the framing code copies reply bytes straight into them and
// numbers them when the message is complete (sendOpened()): a GET hit is
// copied once, from the store into the frame. Anything that does not fit
// there goes through write(), which copies from the framing code's buffer.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace unbuckle::udp {

class DatagramWriter {
 public:
  virtual ~DatagramWriter() = default;

  // The request being served is answered: the datagrams from now until the
  // next startReply() go back to where it came from. Called once per
  // answered request, before its first datagram; never for a dropped one.
  virtual void startReply() = 0;

  // Opens the next datagram of the message being built and returns room
  // for all of it (MC_UDP_MAX_PAYLOAD bytes: frame header, then data), or
  // an empty span when the writer holds as many unsent datagrams as it can.
  virtual std::span<char> open() = 0;

  // Sends the datagrams opened since the last send or discard, in the order
  // opened, each MC_UDP_MAX_PAYLOAD bytes long but the last, which has
  // `last_length` (frame header included).
  virtual void sendOpened(size_t last_length) = 0;

  // Gives back the datagrams opened since the last send or discard.
  virtual void discardOpened() = 0;

  // Queues one datagram: `header` (MC_UDP_HEADER_SIZE bytes), then `data`
  // (at most MC_UDP_DATA_SIZE bytes). The writer counts what it sends.
  virtual void write(std::string_view header, std::string_view data) = 0;
};

}  // namespace unbuckle::udp
