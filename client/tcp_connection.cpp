#include "client/tcp_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "client/tcp_reply_framing.h"

namespace unbuckle::client {

namespace {

constexpr size_t kReadChunk = 64 * 1024;

}  // namespace

TcpConnection::TcpConnection(const ServerAddress& address, const ClientOptions& options)
    : address_(address), options_(options), chunk_(kReadChunk) {}

void TcpConnection::queue(uint64_t ticket, std::string request, CommandKind kind) {
  if (state_ == State::kDisconnected) {
    const auto now = Clock::now();
    if (now < retry_after_) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(retry_after_ - now);
      completed_.emplace_back(ticket, CommandReply{{}, "TCP connection to " + address_.name + " failed; retrying in " +
                                                           std::to_string(wait.count()) + " ms"});
      return;
    }
    connect();
    if (state_ == State::kDisconnected) {
      completed_.emplace_back(ticket, CommandReply{{}, "cannot connect to " + address_.name});
      return;
    }
  }
  output_ += request;
  pending_.push_back(Pending{ticket, kind});
}

void TcpConnection::connect() {
  fd_ = FileDescriptor(socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_) return fail(std::string("TCP socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  connect_deadline_ = Clock::now() + options_.tcp_timeout;
  if (::connect(fd_.get(), address_.get(), address_.length) == 0) {
    state_ = State::kConnected;
  } else if (errno == EINPROGRESS) {
    state_ = State::kConnecting;
  } else {
    fail(std::string("connect: ") + std::strerror(errno));
  }
}

void TcpConnection::fail(const std::string& why) {
  drop("TCP connection to " + address_.name + " failed (" + why +
       "); check that the server runs and listens on that port");
  backoff_ = std::clamp(backoff_ * 2, options_.reconnect_backoff_min, options_.reconnect_backoff_max);
  retry_after_ = Clock::now() + backoff_;
}

void TcpConnection::close() {
  drop("TCP connection to " + address_.name + " closed by the client before the reply");
}

void TcpConnection::drop(const std::string& error) {
  for (const Pending& pending : pending_) completed_.emplace_back(pending.ticket, CommandReply{{}, error});
  pending_.clear();
  output_.clear();
  written_ = 0;
  input_.clear();
  consumed_ = 0;
  fd_.reset();
  state_ = State::kDisconnected;
}

void TcpConnection::progress() {
  if (state_ == State::kConnecting) {
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return fail(std::string("connect: ") + std::strerror(error));
    pollfd ready{fd_.get(), POLLOUT, 0};
    if (::poll(&ready, 1, 0) == 1 && (ready.revents & POLLOUT)) {
      state_ = State::kConnected;
    } else {
      if (Clock::now() > connect_deadline_) fail("connect timed out");
      return;
    }
  }
  if (state_ != State::kConnected) return;
  write();
  if (state_ == State::kConnected) read();
}

void TcpConnection::write() {
  while (written_ < output_.size()) {
    const ssize_t sent = send(fd_.get(), output_.data() + written_, output_.size() - written_, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      return fail(std::string("send: ") + std::strerror(errno));
    }
    written_ += static_cast<size_t>(sent);
  }
  output_.clear();
  written_ = 0;
}

void TcpConnection::read() {
  for (;;) {
    const ssize_t got = recv(fd_.get(), chunk_.data(), chunk_.size(), MSG_DONTWAIT);
    if (got > 0) {
      input_.append(chunk_.data(), static_cast<size_t>(got));
      continue;
    }
    if (got == 0) {
      frame();
      if (state_ == State::kConnected) fail("the server closed the connection");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return fail(std::string("recv: ") + std::strerror(errno));
  }
  frame();
}

void TcpConnection::frame() {
  const std::string_view input = std::string_view(input_).substr(consumed_);
  size_t used = 0;
  while (!pending_.empty()) {
    Pending& next = pending_.front();
    const Framing framing = frameReply(input.substr(used), next.kind, next.framed);
    if (framing.status == Framing::Status::kNeedMore) {
      next.framed = framing.length;
      break;
    }
    if (framing.status == Framing::Status::kCorrupt) return fail("unparseable reply");
    completed_.emplace_back(next.ticket, CommandReply{std::string(input.substr(used, framing.length)), {}});
    pending_.pop_front();
    used += framing.length;
    backoff_ = std::chrono::milliseconds{0};
  }
  if (pending_.empty() && used < input.size()) return fail("a reply nobody asked for");
  consumed_ += used;
  if (consumed_ == input_.size() || consumed_ > kReadChunk) {
    input_.erase(0, consumed_);
    consumed_ = 0;
  }
}

}  // namespace unbuckle::client
