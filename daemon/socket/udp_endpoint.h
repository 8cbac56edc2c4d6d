// One worker's UDP socket of the socket backend: recvmmsg() a batch of
// requests, run each through the frame checks and the engine, sendmmsg() the
// reply datagrams to each request's source.
#pragma once

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "config/cidr.h"
#include "proto/engine.h"
#include "proto/stats.h"
#include "socket/datagram_batch.h"
#include "unbuckle/file_descriptor.h"
#include "udp/datagram_reply_sink.h"
#include "udp/source_filter.h"

namespace unbuckle::net {

class UdpEndpoint {
 public:
  static constexpr size_t kBatch = 32;
  static constexpr size_t kMaxDatagram = 65536;   // memcached's UDP read buffer

  // `allow` lists the sources that get answers; it must outlive the endpoint.
  UdpEndpoint(FileDescriptor socket, proto::Engine& engine, proto::WorkerStats& stats,
              const udp::AllowList& allow, size_t max_reply_bytes);

  int fd() const { return socket_.get(); }
  // Steady seconds of the last datagram (start-up before any), for `stats conns`.
  int64_t lastDatagram() const { return last_datagram_.load(std::memory_order_relaxed); }

  // Serves one batch of waiting datagrams (none waiting is fine).
  void onReadable();

 private:
  void serve(std::string_view datagram, const sockaddr_storage& source, socklen_t length);

  FileDescriptor socket_;
  std::atomic<int64_t> last_datagram_;
  proto::Engine& engine_;
  proto::WorkerStats& stats_;
  udp::SourceFilter source_filter_;
  DatagramBatch batch_;
  udp::DatagramReplySink sink_;
  proto::Session session_;
  std::unique_ptr<char[]> buffers_;   // kBatch datagrams of kMaxDatagram bytes
  std::array<mmsghdr, kBatch> messages_{};
  std::array<iovec, kBatch> iov_{};
  std::array<sockaddr_storage, kBatch> sources_{};
};

}  // namespace unbuckle::net
