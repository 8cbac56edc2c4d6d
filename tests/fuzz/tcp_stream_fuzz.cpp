// The engine behind a real TcpConnection (daemon/socket/tcp_connection.h),
// so requests arrive exactly as the TCP datapath buffers and hands them
// over: partial commands kept and offered again, pipelines cut into steps,
// output backlogs, quit and the peer's shutdown. The client end of a
// socketpair writes the stream in chunks and drains every reply.
//
// Input: byte 0 chooses the chunking (0: one write; n: pseudo-random chunks
// of 1..n bytes from a generator seeded with n), the rest is the stream.
// Findings: a crash or sanitizer report, a sleep on the worker (no_sleep.h),
// a connection that stops making progress, a malformed reply stream.
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine_under_test.h"
#include "finding.h"
#include "no_sleep.h"
#include "reply_stream_check.h"
#include "socket/tcp_connection.h"

namespace unbuckle::fuzz {
namespace {

class Chunker {
 public:
  explicit Chunker(uint8_t largest) : largest_(largest), state_(largest | 0x9e3779b9u) {}
  size_t next(size_t left) {
    if (largest_ == 0) return left;
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return std::min<size_t>(left, 1 + state_ % largest_);
  }

 private:
  uint8_t largest_;
  uint32_t state_;
};

class Conversation {
 public:
  explicit Conversation(size_t input_size) : step_limit_(4 * input_size + 64) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) {
      finding("socketpair failed");
    }
    client_ = FileDescriptor(fds[0]);
    connection_.emplace(FileDescriptor(fds[1]), limits(), pool_);
  }

  bool open() const { return connection_.has_value(); }

  void send(std::string_view bytes) {
    while (!bytes.empty() && open()) {
      const ssize_t n = ::send(client_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
      } else if (!serve()) {
        return;   // the server stopped reading: the rest stays unsent
      }
    }
    serve();
  }

  void finish() {
    shutdown(client_.get(), SHUT_WR);
    serve();
    connection_.reset();
    drain();
  }

  const std::string& replies() const { return replies_; }

 private:
  // Runs the connection as epoll would until it waits for input that is
  // not there. False when it made no progress (or is closed).
  bool serve() {
    bool progressed = false;
    while (open()) {
      uint32_t events = 0;
      if ((interest_ & EPOLLIN) != 0 && readable()) events |= EPOLLIN;
      if ((interest_ & EPOLLOUT) != 0) events |= EPOLLOUT;
      if (events == 0) break;
      if (++steps_ > step_limit_) {
        finding("the connection keeps asking for events without finishing its input");
      }
      {
        NoSleepScope no_sleep;
        interest_ = connection_->onEvents(events, engine_.engine, engine_.worker,
                                          engine_.registry.connections());
      }
      progressed = true;
      drain();
      if (interest_ == 0) connection_.reset();
    }
    return progressed;
  }

  bool readable() const {
    pollfd p{connection_->fd(), POLLIN | POLLRDHUP, 0};
    return poll(&p, 1, 0) > 0;
  }

  void drain() {
    char buffer[64 * 1024];
    for (;;) {
      const ssize_t n = recv(client_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
      if (n <= 0) return;
      replies_.append(buffer, static_cast<size_t>(n));
    }
  }

  static net::ConnectionLimits limits() {
    return net::ConnectionLimits::forItemSize(EngineUnderTest::smallStore().max_item_size);
  }

  EngineUnderTest engine_;
  // Sized as the daemon sizes it: the store's memory, at least four inputs.
  net::BufferPool pool_{std::max(EngineUnderTest::smallStore().memory_limit,
                                 4 * limits().max_input)};
  FileDescriptor client_;
  std::optional<net::TcpConnection> connection_;
  uint32_t interest_ = EPOLLIN;
  size_t steps_ = 0;
  size_t step_limit_;
  std::string replies_;
};

}  // namespace
}  // namespace unbuckle::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace unbuckle::fuzz;
  if (size == 0) return 0;
  Chunker chunker(data[0]);
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  Conversation conversation(stream.size());
  while (!stream.empty() && conversation.open()) {
    const size_t n = chunker.next(stream.size());
    conversation.send(stream.substr(0, n));
    stream.remove_prefix(n);
  }
  conversation.finish();
  if (const std::string error = replyStreamError(conversation.replies()); !error.empty()) {
    finding(error);
  }
  return 0;
}
