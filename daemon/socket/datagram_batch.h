// Reply datagrams queued for one sendmmsg(): the socket datapath's
// udp::DatagramWriter. write() copies header and payload into a slot for the
// current destination; a full batch is sent at once, the rest by flush().
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <memory>

#include "proto/stats.h"
#include "udp/datagram_writer.h"

namespace unbuckle::net {

class DatagramBatch final : public udp::DatagramWriter {
 public:
  static constexpr size_t kSize = 64;

  DatagramBatch(int fd, proto::WorkerStats& stats);

  // Where the datagrams written from now on go.
  void setDestination(const sockaddr_storage& address, socklen_t length);

  void write(const udp::FrameHeader& header, std::string_view data) override;

  // Sends every queued datagram (blocking while the socket buffer is full);
  // one the kernel refuses is skipped. Counts udp_datagrams_out, bytes_written.
  void flush();

 private:
  int fd_;
  proto::WorkerStats& stats_;
  sockaddr_storage destination_{};
  socklen_t destination_length_ = 0;
  size_t count_ = 0;
  std::array<mmsghdr, kSize> messages_{};
  std::array<iovec, kSize> iov_{};
  std::array<sockaddr_storage, kSize> addresses_{};
  std::unique_ptr<char[]> buffers_;   // kSize slots of MC_UDP_MAX_PAYLOAD bytes
};

}  // namespace unbuckle::net
