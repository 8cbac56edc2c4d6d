// Turns the engine's replies into memcached UDP messages: every response
// object (ended by endResponse()) becomes datagrams of at most 1400 bytes,
// each an 8-byte header (request id, seq 0..n-1, total n, reserved 0) plus
// at most 1392 bytes of the response, as memcached 1.6 does. An empty
// response is one header-only datagram with total 0 (memcached's `quit`).
//
// With coalescing (--udp-coalesce-replies on) consecutive responses of one
// request that fit one datagram together leave as one message (seq 0,
// total 1) holding them in order, as memcached 1.5 sent a whole multi-get:
// the bytes a client reads are the same, in fewer datagrams. A response
// that does not fit beside the ones held sends them first and starts a
// message of its own; finishRequest() sends what is still held.
//
// The bytes go straight into datagrams the writer lends (DatagramWriter::
// open()), behind room for the frame header, which the sink writes once the
// message is complete and its datagrams counted; what does not fit there
// waits in a buffer of the sink's own and follows with write().
//
// The replies to one request are bounded by a byte budget: once they exceed
// it, the response being built and everything after it for that request is
// dropped (counted once in udp_reply_truncated). A response is thus sent
// whole or not at all, and no message needs more than 65535 datagrams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/reply_sink.h"
#include "proto/stats.h"
#include "udp/datagram_writer.h"
#include "unbuckle/mc_udp_frame.h"

namespace unbuckle::udp {

class DatagramReplySink final : public proto::ReplySink {
 public:
  // Largest message memcached can number: 65535 datagrams of 1392 bytes.
  static constexpr size_t kMaxMessageBytes = size_t{65535} * 1392;

  // A per-request budget that lets a multi-get return a few items of the
  // largest size: 4 x max_item_size, at least 1 MiB, at most kMaxMessageBytes.
  static size_t replyBudget(size_t max_item_size);

  DatagramReplySink(DatagramWriter& out, proto::WorkerStats& stats, size_t max_reply_bytes,
                    bool coalesce = false);

  // Starts the replies to a new request; drops anything left unended.
  void startRequest(uint16_t request_id);

  // Sends the responses still held for coalescing; called once the engine
  // has answered the request.
  void finishRequest();

  // Bytes of memcached UDP payload (frame headers and data) handed to the
  // writer for this request so far: what the reply budget takes.
  size_t requestBytesSent() const { return request_sent_; }

  void append(std::string_view bytes) override;
  void endResponse() override;

 private:
  void place(std::string_view bytes);  // copies into lent datagrams, then the buffer
  size_t messageBytes() const;         // of the message under construction
  void sendHeld();                     // the held responses as one datagram
  void drop();    // gives lent datagrams back and forgets the response
  void clear();   // forgets the response (its datagrams are sent or given back)

  DatagramWriter& out_;
  proto::WorkerStats& stats_;
  size_t max_reply_bytes_;
  bool coalesce_;
  uint16_t request_id_ = 0;
  size_t request_bytes_ = 0;   // bytes of this request's replies so far
  size_t request_sent_ = 0;    // of them sent, frame headers included
  bool truncated_ = false;
  // The response object under construction: the datagrams lent by the
  // writer (`opened_`, each starting with room for its frame header; the
  // last with `room_` unused), then `overflow_`. `opened_` keeps its
  // capacity: no allocation per request once the longest reply was seen.
  // Its first `held_` bytes are ended responses held for coalescing: then
  // the whole message fits one datagram.
  std::vector<char*> opened_;
  size_t held_ = 0;
  std::span<char> room_;
  std::string overflow_;
};

}  // namespace unbuckle::udp
