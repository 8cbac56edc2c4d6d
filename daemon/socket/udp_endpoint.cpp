#include "socket/udp_endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include "udp/frame_header.h"

namespace unbuckle::net {
namespace {

std::string hostOf(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  } else if (address.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr, text,
              sizeof text);
  }
  return text;
}

}  // namespace

UdpEndpoint::UdpEndpoint(FileDescriptor socket, proto::Engine& engine, proto::WorkerStats& stats,
                         const std::vector<config::Cidr>& allow, size_t max_reply_bytes)
    : socket_(std::move(socket)),
      engine_(engine),
      stats_(stats),
      allow_(allow),
      batch_(socket_.get(), stats),
      sink_(batch_, stats, max_reply_bytes),
      buffers_(new char[kBatch * kMaxDatagram]) {
  session_.transport = proto::Transport::kDatagram;
}

void UdpEndpoint::onReadable() {
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

bool UdpEndpoint::allowed(const sockaddr_storage& source) {
  for (const config::Cidr& cidr : allow_) {
    if (cidr.contains(reinterpret_cast<const sockaddr*>(&source))) {
      return true;
    }
  }
  proto::bump(stats_.udp_dropped_denied);
  if (!denied_logged_) {
    denied_logged_ = true;
    spdlog::warn("UDP request from {} dropped: not in --allow (reported once per worker)",
                 hostOf(source));
  }
  return false;
}

void UdpEndpoint::serve(std::string_view datagram, const sockaddr_storage& source,
                        socklen_t length) {
  if (!allowed(source)) {
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
