#include "mcbench/tcp_connection.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "mcbench/sockets.h"

namespace unbuckle::mcbench {

namespace {

constexpr std::chrono::milliseconds kConnectTimeout{2000};
constexpr time_t kReplyTimeoutSeconds = 10;

}  // namespace

TcpConnection::TcpConnection(const Endpoint& endpoint)
    : endpoint_(endpoint), fd_(connectTcp(endpoint, kConnectTimeout, false)) {
  timeval tv{kReplyTimeoutSeconds, 0};
  setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void TcpConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("sending to {}: {}", endpoint_.str(), std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
}

std::string_view TcpConnection::readLine() {
  if (consumed_ > 0) {
    input_.erase(0, consumed_);
    consumed_ = 0;
  }
  size_t searched = 0;
  for (;;) {
    const size_t eol = input_.find("\r\n", searched);
    if (eol != std::string::npos) {
      consumed_ = eol + 2;
      return std::string_view(input_).substr(0, eol);
    }
    searched = input_.empty() ? 0 : input_.size() - 1;
    char chunk[16384];
    const ssize_t got = recv(fd_.get(), chunk, sizeof(chunk), 0);
    if (got > 0) {
      input_.append(chunk, static_cast<size_t>(got));
    } else if (got == 0) {
      throw std::runtime_error(fmt::format("{} closed the connection", endpoint_.str()));
    } else if (errno != EINTR) {
      const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
      throw std::runtime_error(fmt::format("reading from {}: {}", endpoint_.str(),
                                           timed_out ? "no reply within 10 s" : std::strerror(errno)));
    }
  }
}

StatsMap TcpConnection::stats() {
  send("stats\r\n");
  StatsMap stats;
  for (;;) {
    const std::string_view line = readLine();
    if (line == "END") return stats;
    auto stat = parseStatLine(line);
    if (!stat) throw std::runtime_error(fmt::format("{}: unexpected stats line '{}'", endpoint_.str(), line));
    stats.insert(std::move(*stat));
  }
}

}  // namespace unbuckle::mcbench
