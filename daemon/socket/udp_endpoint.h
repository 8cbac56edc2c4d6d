// One worker's UDP socket of the socket backend: recvmmsg() a batch of
// requests, hand each to the worker's udp::DatagramServer, sendmmsg() the
// reply datagrams to each request's source.
#pragma once

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>

#include "proto/engine.h"
#include "proto/stats.h"
#include "socket/datagram_batch.h"
#include "unbuckle/file_descriptor.h"
#include "udp/datagram_server.h"

namespace unbuckle::net {

class UdpEndpoint {
 public:
  static constexpr size_t kBatch = 32;
  static constexpr size_t kMaxDatagram = 65536;   // memcached's UDP read buffer

  UdpEndpoint(FileDescriptor socket, proto::Engine& engine, proto::WorkerStats& stats,
              const udp::DatagramServerSettings& settings);

  int fd() const { return socket_.get(); }
  // Steady seconds of the last datagram (start-up before any), for `stats conns`.
  int64_t lastDatagram() const { return last_datagram_.load(std::memory_order_relaxed); }

  // Serves one batch of waiting datagrams (none waiting is fine).
  void onReadable();

 private:
  FileDescriptor socket_;
  std::atomic<int64_t> last_datagram_;
  DatagramBatch batch_;
  udp::DatagramServer server_;
  std::unique_ptr<char[]> buffers_;   // kBatch datagrams of kMaxDatagram bytes
  std::array<mmsghdr, kBatch> messages_{};
  std::array<iovec, kBatch> iov_{};
  std::array<sockaddr_storage, kBatch> sources_{};
};

}  // namespace unbuckle::net
