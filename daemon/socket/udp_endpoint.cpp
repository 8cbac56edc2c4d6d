#include "socket/udp_endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include "socket/tcp_connection.h"
#include "udp/frame_header.h"

namespace unbuckle::net {

UdpEndpoint::UdpEndpoint(FileDescriptor socket, proto::Engine& engine, proto::WorkerStats& stats,
                         const udp::AllowList& allow, size_t max_reply_bytes)
    : socket_(std::move(socket)),
      last_datagram_(TcpConnection::steadySeconds()),
      engine_(engine),
      stats_(stats),
      source_filter_(allow, stats),
      batch_(socket_.get(), stats),
      sink_(batch_, stats, max_reply_bytes),
      buffers_(new char[kBatch * kMaxDatagram]) {
  session_.transport = proto::Transport::kDatagram;
}

void UdpEndpoint::onReadable() {
  last_datagram_.store(TcpConnection::steadySeconds(), std::memory_order_relaxed);
  for (size_t i = 0; i < kBatch; ++i) {
    iov_[i] = iovec{buffers_.get() + i * kMaxDatagram, kMaxDatagram};
    msghdr& message = messages_[i].msg_hdr;
    message = msghdr{};
    message.msg_name = &sources_[i];
    message.msg_namelen = sizeof sources_[i];
    message.msg_iov = &iov_[i];
    message.msg_iovlen = 1;
  }
  const int received = recvmmsg(socket_.get(), messages_.data(), kBatch, MSG_DONTWAIT, nullptr);
  for (int i = 0; i < received; ++i) {
    const msghdr& message = messages_[i].msg_hdr;
    serve(std::string_view(static_cast<const char*>(iov_[i].iov_base), messages_[i].msg_len),
          sources_[i], message.msg_namelen);
  }
  batch_.flush();
}

void UdpEndpoint::serve(std::string_view datagram, const sockaddr_storage& source,
                        socklen_t length) {
  if (!source_filter_.admits(reinterpret_cast<const sockaddr*>(&source))) {
    return;
  }
  const auto request = udp::parseRequest(datagram, stats_);
  if (!request) {
    return;
  }
  batch_.setDestination(source, length);
  sink_.startRequest(request->request_id);
  session_ = proto::Session{};
  session_.transport = proto::Transport::kDatagram;
  engine_.process(request->payload, sink_, session_, stats_);
}

}  // namespace unbuckle::net
