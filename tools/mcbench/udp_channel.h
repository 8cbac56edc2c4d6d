// One thread's UDP conversation with a memcached server: requests go out in
// sendmmsg batches, replies come in through recvmmsg batches, each request
// carries a 16-bit request id that maps a reply back to the request's slot.
//
// A slot whose reply never completes is forgotten by the caller after its
// timeout; a datagram for a forgotten id is counted as stray. Ids advance by
// one per request, so an id is reused only after 65536 newer requests (and
// a reply that late would be caught by the key check).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "unbuckle/file_descriptor.h"
#include "mcbench/target.h"
#include "client/udp_reassembly.h"

namespace unbuckle::mcbench {

// Reassembly is the client library's (client/).
using client::UdpReassembly;

struct UdpReply {
  uint32_t slot = 0;
  bool bad_frame = false;    // the message could not be reassembled
  std::string_view message;  // frame headers removed, datagrams joined
};

class UdpChannel {
 public:
  static constexpr size_t kBatch = 64;
  // memcached sends at most 1400 bytes per datagram; room up to a jumbo
  // frame, and anything larger is reported as a bad frame.
  static constexpr size_t kMaxDatagram = 9216;

  // `slots`: the window; `max_payload`: the largest request payload.
  UdpChannel(const Endpoint& endpoint, uint32_t slots, size_t max_payload);

  int fd() const { return fd_.get(); }
  size_t queued() const { return queued_; }

  // Frames and queues a request for `slot`; at most kBatch before flush().
  void queue(uint32_t slot, std::string_view payload);

  // Sends the queued requests; returns the slots a busy kernel did not take
  // (their ids are released, the caller frees them), valid until the next
  // flush. Throws std::system_error on a lasting error such as EMSGSIZE.
  std::span<const uint32_t> flush();

  // Reads one batch of datagrams; with `wait`, blocks until one arrives or
  // the socket's receive timeout (2 ms) passes. Returns the messages that
  // completed or went bad; everything returned is valid until the next call.
  std::span<const UdpReply> receive(bool wait);

  // The caller gave up on `slot` (timeout): its reply no longer counts.
  void forget(uint32_t slot);

  // Datagrams that matched no request in flight, since the last call.
  uint64_t takeStray() { return std::exchange(stray_, 0); }

 private:
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  static constexpr uint32_t kNoId = UINT32_MAX;

  void release(uint32_t slot);

  FileDescriptor fd_;
  size_t stride_;
  uint16_t next_id_ = 0;
  std::vector<uint32_t> slot_of_id_;  // 65536 entries
  std::vector<uint32_t> id_of_slot_;
  std::vector<UdpReassembly> reassembly_;

  size_t queued_ = 0;
  std::vector<uint32_t> queued_slots_;
  std::vector<char> send_buffer_;
  std::vector<iovec> send_iov_;
  std::vector<mmsghdr> send_headers_;
  std::vector<uint32_t> unsent_;

  std::vector<char> receive_buffer_;
  std::vector<iovec> receive_iov_;
  std::vector<mmsghdr> receive_headers_;
  std::vector<UdpReply> replies_;
  uint64_t stray_ = 0;
};

}  // namespace unbuckle::mcbench
