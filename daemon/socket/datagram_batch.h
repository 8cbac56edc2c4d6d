// Reply datagrams queued for one sendmmsg(): the socket datapath's
// udp::DatagramWriter. Datagrams are built in slots for the destination of
// the request answered (lent by open(), or copied in by write()); a full
// batch is sent at once, the rest by flush().
//
// A run of datagrams of one size to one destination, the last possibly
// shorter (a long reply; a multi-get's hits of same-size keys and values)
// leaves in one send with UDP GSO (UDP_SEGMENT): the kernel cuts it into
// the same datagrams after walking the stack once instead of once per
// datagram, and a client socket with UDP GRO can take it whole. Before
// Linux 4.18, or once a route refuses it (an MTU under 1,428 bytes), the
// datagrams go one by one.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "proto/stats.h"
#include "udp/datagram_writer.h"

namespace unbuckle::net {

class DatagramBatch final : public udp::DatagramWriter {
 public:
  static constexpr size_t kSize = 64;

  DatagramBatch(int fd, proto::WorkerStats& stats);

  // The source of the request about to be served; it must stay valid until
  // DatagramServer::serve() returns. startReply(), called only for a
  // request the server answers, makes it the destination of the datagrams
  // written from then on.
  void setRequestSource(const sockaddr_storage& address, socklen_t length);

  void startReply() override;
  std::span<char> open() override;
  void sendOpened(size_t last_length) override;
  void discardOpened() override;
  void write(std::string_view header, std::string_view data) override;

  // Sends every queued datagram (blocking while the socket buffer is full);
  // one the kernel refuses is skipped. Counts udp_datagrams_out, bytes_written.
  // Only between messages: no datagram may be open.
  void flush();

 private:
  char* slot(size_t index) const;
  void queue(size_t length);   // the next slot, `length` bytes of it
  // Fills sends_ from the queued datagrams `first`.. on: returns how many.
  size_t gatherSends(size_t first);
  bool continuesRun(size_t first, size_t index) const;  // may go in one send with first..index - 1

  int fd_;
  proto::WorkerStats& stats_;
  const sockaddr_storage* source_ = nullptr;
  socklen_t source_length_ = 0;
  sockaddr_storage destination_{};
  socklen_t destination_length_ = 0;
  size_t count_ = 0;    // queued
  size_t opened_ = 0;   // lent after the queued ones
  std::array<mmsghdr, kSize> messages_{};
  std::array<iovec, kSize> iov_{};
  std::array<sockaddr_storage, kSize> addresses_{};
  std::unique_ptr<char[]> buffers_;   // kSize slots of MC_UDP_MAX_PAYLOAD bytes
  bool segmentation_offload_ = true;
  std::array<mmsghdr, kSize> sends_{};
  std::array<size_t, kSize> send_datagrams_{};
  std::array<size_t, kSize> send_bytes_{};
  static constexpr size_t kControlSpace = CMSG_SPACE(sizeof(uint16_t));
  std::array<std::array<char, kControlSpace>, kSize> send_control_{};
};

}  // namespace unbuckle::net
