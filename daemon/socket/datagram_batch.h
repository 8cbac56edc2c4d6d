// Reply datagrams queued for one sendmmsg(): the socket datapath's
// udp::DatagramWriter. Datagrams are built in slots for the destination of
// the request answered (lent by open(), or copied in by write()); a full
// batch is sent at once, the rest by flush().
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
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
};

}  // namespace unbuckle::net
