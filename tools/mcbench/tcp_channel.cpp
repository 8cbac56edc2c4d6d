#include "mcbench/tcp_channel.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "mcbench/sockets.h"

namespace unbuckle::mcbench {

namespace {

constexpr std::chrono::milliseconds kConnectTimeout{2000};
constexpr size_t kReadChunk = 256 * 1024;

}  // namespace

TcpChannel::TcpChannel(const Endpoint& endpoint)
    : endpoint_(endpoint), fd_(connectTcp(endpoint, kConnectTimeout, true)) {}

void TcpChannel::queue(uint32_t slot, Op op, std::string_view request) {
  output_ += request;
  pending_.push_back(Pending{slot, op});
}

void TcpChannel::flush() {
  while (written_ < output_.size()) {
    const ssize_t sent = send(fd_.get(), output_.data() + written_, output_.size() - written_, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      throw std::runtime_error(fmt::format("TCP send to {}: {}", endpoint_.str(), std::strerror(errno)));
    }
    written_ += static_cast<size_t>(sent);
  }
  if (written_ == output_.size()) {
    output_.clear();
    written_ = 0;
  }
}

std::span<const TcpReply> TcpChannel::receive() {
  replies_.clear();
  if (consumed_ > 0) {
    std::memmove(input_.data(), input_.data() + consumed_, filled_ - consumed_);
    filled_ -= consumed_;
    consumed_ = 0;
  }
  for (;;) {
    if (input_.size() - filled_ < kReadChunk) input_.resize(filled_ + kReadChunk);
    const ssize_t got = recv(fd_.get(), input_.data() + filled_, input_.size() - filled_, MSG_DONTWAIT);
    if (got > 0) {
      filled_ += static_cast<size_t>(got);
      continue;
    }
    if (got == 0) throw std::runtime_error(fmt::format("{} closed the TCP connection", endpoint_.str()));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    throw std::runtime_error(fmt::format("TCP receive from {}: {}", endpoint_.str(), std::strerror(errno)));
  }

  const std::string_view input(input_.data(), filled_);
  while (!pending_.empty()) {
    const Pending next = pending_.front();
    const Framing framing = frameReply(input.substr(consumed_), next.op);
    if (framing.status == Framing::Status::kNeedMore) break;
    if (framing.status == Framing::Status::kGarbage) {
      throw std::runtime_error(fmt::format("unparseable TCP reply from {}: '{}'", endpoint_.str(),
                                           input.substr(consumed_, std::min<size_t>(60, input.size() - consumed_))));
    }
    replies_.push_back(TcpReply{next.slot, input.substr(consumed_, framing.length)});
    consumed_ += framing.length;
    pending_.pop_front();
  }
  if (pending_.empty() && consumed_ < input.size()) {
    throw std::runtime_error(fmt::format("{} sent an unrequested TCP reply", endpoint_.str()));
  }
  return replies_;
}

}  // namespace unbuckle::mcbench
