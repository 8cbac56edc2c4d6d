#include "socket/udp_endpoint.h"

#include "socket/tcp_connection.h"

namespace unbuckle::net {

UdpEndpoint::UdpEndpoint(FileDescriptor socket, proto::Engine& engine, proto::WorkerStats& stats,
                         const udp::DatagramServerSettings& settings)
    : socket_(std::move(socket)),
      last_datagram_(TcpConnection::steadySeconds()),
      batch_(socket_.get(), stats),
      server_(batch_, engine, stats, settings),
      buffers_(new char[kBatch * kMaxDatagram]) {}

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
  const uint64_t now = udp::DatagramServer::now();
  for (int i = 0; i < received; ++i) {
    const auto* source = reinterpret_cast<const sockaddr*>(&sources_[i]);
    batch_.setRequestSource(sources_[i], messages_[i].msg_hdr.msg_namelen);
    server_.serve(std::string_view(static_cast<const char*>(iov_[i].iov_base), messages_[i].msg_len),
                  udp::SourceAddress::fromSockaddr(source), now);
  }
  batch_.flush();
}

}  // namespace unbuckle::net
