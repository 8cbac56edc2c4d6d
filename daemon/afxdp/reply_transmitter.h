// The TX side of one worker, as the udp::DatagramWriter that the memcached
// UDP server (udp/datagram_server.h) writes reply datagrams to. open()
// lends the UDP payload area of a free frame, so reply bytes are copied
// once, straight from the stored item into the frame, and the server frames
// and numbers them there; sendOpened() (or write(), which copies a datagram
// in) writes the Ethernet/IP/UDP headers in front and queues the frame on
// the TX ring; a full batch is published at once, the rest by flush().
// Those headers are built once per answered request, by startReply().
//
// Back-pressure: when no frame is free or the TX ring is full (a long
// multi-datagram reply), write() publishes, kicks the kernel and reclaims
// completions in a bounded wait rather than drop a reply's middle datagram.
// Only if that wait runs out is the datagram dropped and counted, and the
// rest of that request's replies then do not wait again.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "afxdp/frame_pool.h"
#include "afxdp/packet_headers.h"
#include "afxdp/queue_counters.h"
#include "afxdp/umem.h"
#include "afxdp/xsk_socket.h"
#include "proto/stats.h"
#include "udp/datagram_writer.h"

namespace unbuckle::afxdp {

class ReplyTransmitter final : public udp::DatagramWriter {
 public:
  static constexpr uint32_t kBatch = 64;

  ReplyTransmitter(Umem& umem, XskSocket& socket, FramePool& pool, QueueCounters& counters,
                   proto::WorkerStats& stats, bool busy_poll);

  // The headers of the request about to be served; they must stay valid
  // until DatagramServer::serve() returns. startReply(), called only for a
  // request the server answers, builds the replies' headers from them
  // (MACs, addresses and ports swapped).
  void setRequest(const RequestHeaders& request) { request_ = &request; }

  void startReply() override;
  std::span<char> open() override;
  void sendOpened(size_t last_length) override;
  void discardOpened() override;
  void write(std::string_view header, std::string_view data) override;

  // Publishes the queued frames and lets the kernel send them.
  void flush();

  // Gives the frames the kernel has sent back to the pool.
  void reclaim();

  // Frames on the TX ring (queued or published) not yet completed.
  uint32_t inFlight() const { return queued_ + published_; }

  // Whether frames were published that the kernel has not been told about
  // (a kick that met a soft error): the worker should come back soon.
  bool kickPending() const { return kick_pending_; }

 private:
  std::optional<uint64_t> takeFrame();
  bool reserveSlot(uint32_t& index);
  // Puts `frame`, with `payload_length` bytes of UDP payload in place, on
  // the TX ring behind its headers; drops it if the ring stays full.
  void send(uint64_t frame, size_t payload_length);
  // Where the UDP payload goes in `frame`, behind the lower headers.
  char* payloadArea(uint64_t frame);
  // One round of waiting for the kernel: publish, kick, reclaim. False once
  // this reply's wait has run out.
  bool waitRound(uint32_t round);

  Umem& umem_;
  XskSocket& socket_;
  FramePool& pool_;
  QueueCounters& counters_;
  proto::WorkerStats& stats_;
  bool busy_poll_;
  const RequestHeaders* request_ = nullptr;
  std::optional<ReplyHeaders> headers_;   // of the request answered last
  // Frames lent by open(), not yet sent. open() lends only while more than
  // kBatch frames stay free, and never waits for one: lent frames cannot
  // complete before the reply is numbered, so a wait could only run out.
  // 1024 cover a 1 MiB item (754 datagrams); the rest of a longer reply
  // waits in the sink's buffer and is copied once more (tx_buffered).
  static constexpr size_t kMaxOpened = 1024;
  std::array<uint64_t, kMaxOpened> opened_{};
  size_t opened_count_ = 0;
  uint32_t queued_ = 0;      // written to reserved TX slots, not yet published
  uint32_t published_ = 0;   // published, not yet completed
  bool kick_pending_ = false;
  bool stalled_ = false;     // this reply's bounded wait already ran out
  uint16_t ip_id_ = 0;
};

}  // namespace unbuckle::afxdp
