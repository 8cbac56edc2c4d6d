#include "socket/tcp_connection.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

namespace unbuckle::net {

ConnectionLimits ConnectionLimits::forItemSize(size_t max_item_size) {
  ConnectionLimits limits;
  limits.max_input = max_item_size + 64 * 1024;
  limits.output_high_water = std::max<size_t>(1u << 20, max_item_size);
  limits.max_output = (64u << 20) + 2 * max_item_size;
  return limits;
}

TcpConnection::TcpConnection(FileDescriptor socket, const ConnectionLimits& limits,
                             BufferPool& pool)
    : socket_(std::move(socket)),
      limits_(limits),
      pool_(pool),
      input_(limits.max_input, pool),
      output_(limits.max_output, pool),
      last_command_(steadySeconds()) {
  session_.transport = proto::Transport::kStream;
}

int64_t TcpConnection::steadySeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const char* TcpConnection::stateName() const {
  switch (state_.load(std::memory_order_relaxed)) {
    case State::kRead: return "conn_read";
    case State::kParse: return "conn_parse_cmd";
    case State::kNread: return "conn_nread";
    case State::kSwallow: return "conn_swallow";
    case State::kWrite: return "conn_mwrite";
    case State::kClosing: return "conn_closing";
  }
  return "conn_read";
}

TcpConnection::State TcpConnection::stateAfterEvents() const {
  if (failed_ || closing()) return State::kClosing;
  if (output_.size() > 0) return State::kWrite;
  if (session_.swallow > 0) return State::kSwallow;
  if (awaited_ > input_.data().size()) return State::kNread;
  return State::kRead;
}

uint32_t TcpConnection::onEvents(uint32_t events, proto::Engine& engine,
                                 proto::WorkerStats& stats, proto::ConnectionStats& connections) {
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !closing()) {
    receive(stats);
  }
  state_.store(State::kParse, std::memory_order_relaxed);
  const bool more = !failed_ && runCommands(engine, stats, connections);
  if (!failed_) {
    transmit(stats);
  }
  state_.store(stateAfterEvents(), std::memory_order_relaxed);
  if (failed_ || (closing() && !more && output_.size() == 0)) {
    return 0;
  }
  uint32_t interest = 0;
  // EPOLLOUT also brings the connection back at once when it yielded or
  // when its backlog drained while commands are still buffered.
  if (output_.size() > 0 || more) {
    interest |= EPOLLOUT;
  }
  if (!closing() && !more && !backlogged()) {
    interest |= EPOLLIN;
  }
  return interest;
}

bool TcpConnection::closing() const {
  return peer_closed_ || session_.close || output_.overflowed();
}

void TcpConnection::receive(proto::WorkerStats& stats) {
  const std::span<char> space = input_.space(std::max(awaited_, input_.data().size()));
  if (space.empty()) {
    return;
  }
  const ssize_t n = recv(socket_.get(), space.data(), space.size(), MSG_DONTWAIT);
  if (n > 0) {
    input_.commit(static_cast<size_t>(n));
    proto::bump(stats.bytes_read, static_cast<uint64_t>(n));
  } else if (n == 0) {
    peer_closed_ = true;
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    failed_ = true;
  }
}

bool TcpConnection::runCommands(proto::Engine& engine, proto::WorkerStats& stats,
                                proto::ConnectionStats& connections) {
  for (size_t commands = 0; !session_.close && !output_.overflowed(); ++commands) {
    if (input_.data().empty()) {
      return false;
    }
    if (input_.data().size() < awaited_) {
      break;
    }
    if (backlogged()) {
      return true;
    }
    if (commands == limits_.commands_per_event) {
      connections.conn_yields.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    const bool overflowed = output_.overflowed();
    const size_t consumed = runOneCommand(engine, stats);
    if (!overflowed && output_.overflowed()) {
      connections.response_obj_oom.fetch_add(1, std::memory_order_relaxed);
    }
    if (consumed == 0) {
      // Offered again once what it needs has arrived (at every read while
      // that is unknown); until then a data block's line is not parsed again.
      awaited_ = input_.data().size() + session_.need;
      break;
    }
    awaited_ = 0;
    input_.consume(consumed);
    last_command_.store(steadySeconds(), std::memory_order_relaxed);
  }
  // An unfinished command that cannot fit the buffer will never complete.
  if (!session_.close && input_.full()) {
    failed_ = true;
    if (input_.starved()) {
      connections.read_buf_oom.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return false;
}

bool TcpConnection::backlogged() const {
  return output_.size() >= limits_.output_high_water ||
         (output_.size() >= OutputBuffer::kGuaranteed &&
          pool_.available() < limits_.output_high_water);
}

// The engine runs every complete command it is given; handing it one line
// at a time (with its data block) keeps each step's output bounded. A
// command that needs more than its line (a storage command's data) is
// offered a longer prefix until it completes or the buffered bytes run out.
// The newline search shares session_.line_scanned with the engine, so an
// unterminated line is searched once, not once per read.
size_t TcpConnection::runOneCommand(proto::Engine& engine, proto::WorkerStats& stats) {
  const std::string_view buffered = input_.data();
  size_t length = buffered.size();
  if (session_.swallow > 0) {
    length = std::min(length, session_.swallow);
  } else if (const size_t newline = proto::findLineEnd(buffered, session_.line_scanned);
             newline != std::string_view::npos) {
    length = newline + 1;
  }
  // What a data block after this line may take of the buffer (and pool).
  const size_t reachable = input_.reachable();
  session_.block_room = reachable > length ? reachable - length : 0;
  session_.replies_waiting = output_.size() > 0;
  for (;;) {
    const size_t consumed = engine.process(buffered.substr(0, length), output_, session_, stats);
    if (consumed > 0 || length == buffered.size()) {
      return consumed;
    }
    length = std::min(buffered.size(), std::max(2 * length, length + session_.need));
  }
}

void TcpConnection::transmit(proto::WorkerStats& stats) {
  while (output_.size() > 0) {
    const std::string_view pending = output_.pending();
    const ssize_t n = send(socket_.get(), pending.data(), pending.size(),
                           MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      output_.consume(static_cast<size_t>(n));
      proto::bump(stats.bytes_written, static_cast<uint64_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        failed_ = true;
      }
      return;
    }
  }
}

}  // namespace unbuckle::net
