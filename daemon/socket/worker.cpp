#include "socket/worker.h"

#include <errno.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <string_view>
#include <system_error>

namespace unbuckle::net {
namespace {

constexpr int kEventsPerWait = 64;
constexpr int kAcceptsPerEvent = 64;
// After running out of file descriptors, accept() waits this long (memcached
// also stops accepting for a while and counts listen_disabled_num).
constexpr std::chrono::milliseconds kListenerPause(100);
// memcached 1.6.18 with maxconns_fast (memcached.c).
constexpr std::string_view kTooManyConnections = "ERROR Too many open connections\r\n";

}  // namespace

Worker::Worker(proto::Engine& engine, proto::WorkerStats& stats,
               proto::ConnectionStats& connections, int stop_fd, std::unique_ptr<UdpEndpoint> udp,
               FileDescriptor listener, const ConnectionLimits& limits, uint32_t max_connections)
    : engine_(engine),
      stats_(stats),
      connections_(connections),
      stop_fd_(stop_fd),
      udp_(std::move(udp)),
      listener_(std::move(listener)),
      limits_(limits),
      max_connections_(max_connections),
      epoll_(epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) {
    throw std::system_error(errno, std::generic_category(), "epoll_create1");
  }
  if (!watch(stop_fd_, EPOLLIN, EPOLL_CTL_ADD) ||
      (udp_ && !watch(udp_->fd(), EPOLLIN, EPOLL_CTL_ADD)) ||
      (listener_ && !watch(listener_.get(), EPOLLIN, EPOLL_CTL_ADD))) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
}

bool Worker::watch(int fd, uint32_t events, int op) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  return epoll_ctl(epoll_.get(), op, fd, &event) == 0;
}

void Worker::run() {
  std::array<epoll_event, kEventsPerWait> events;
  for (;;) {
    const int n = epoll_wait(epoll_.get(), events.data(), kEventsPerWait, resumeListener());
    if (n < 0 && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == stop_fd_) {
        connections_.curr_connections.fetch_sub(open_.size(), std::memory_order_relaxed);
        open_.clear();
        return;
      }
      if (udp_ && fd == udp_->fd()) {
        udp_->onReadable();
      } else if (listener_ && fd == listener_.get()) {
        acceptConnections();
      } else {
        onConnection(fd, events[i].events);
      }
    }
  }
}

void Worker::acceptConnections() {
  for (int i = 0; i < kAcceptsPerEvent; ++i) {
    FileDescriptor socket(accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!socket) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        pauseListener();
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        spdlog::warn("accept on the TCP port failed: {}", strerror(errno));
      }
      return;
    }
    if (connections_.curr_connections.load(std::memory_order_relaxed) >= max_connections_) {
      send(socket.get(), kTooManyConnections.data(), kTooManyConnections.size(),
           MSG_DONTWAIT | MSG_NOSIGNAL);
      connections_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const int fd = socket.get();
    if (!watch(fd, EPOLLIN, EPOLL_CTL_ADD)) {
      spdlog::warn("cannot watch a new TCP connection: {}", strerror(errno));
      continue;
    }
    open_[fd] = Connection{std::make_unique<TcpConnection>(std::move(socket), limits_), EPOLLIN};
    connections_.curr_connections.fetch_add(1, std::memory_order_relaxed);
    connections_.total_connections.fetch_add(1, std::memory_order_relaxed);
  }
}

void Worker::pauseListener() {
  if (!listener_resume_ && watch(listener_.get(), 0, EPOLL_CTL_MOD)) {
    listener_resume_ = std::chrono::steady_clock::now() + kListenerPause;
    connections_.listen_disabled_num.fetch_add(1, std::memory_order_relaxed);
    connections_.accepting_conns.store(false, std::memory_order_relaxed);
    // Counted every time (listen_disabled_num), logged once per worker.
    spdlog::log(listener_paused_before_ ? spdlog::level::debug : spdlog::level::warn,
                "out of file descriptors: not accepting TCP connections for {} ms",
                kListenerPause.count());
    listener_paused_before_ = true;
  }
}

int Worker::resumeListener() {
  if (!listener_resume_) {
    return -1;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now >= *listener_resume_ && watch(listener_.get(), EPOLLIN, EPOLL_CTL_MOD)) {
    listener_resume_.reset();
    connections_.accepting_conns.store(true, std::memory_order_relaxed);
    return -1;
  }
  if (now >= *listener_resume_) {
    listener_resume_ = now + kListenerPause;
  }
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*listener_resume_ - now);
  return static_cast<int>(left.count());
}

void Worker::onConnection(int fd, uint32_t events) {
  const auto it = open_.find(fd);
  if (it == open_.end()) {
    return;
  }
  Connection& connection = it->second;
  const uint32_t interest = connection.tcp->onEvents(events, engine_, stats_, connections_);
  if (interest == 0) {
    close(fd);
  } else if (interest != connection.interest) {
    connection.interest = interest;
    if (!watch(fd, interest, EPOLL_CTL_MOD)) {
      close(fd);
    }
  }
}

void Worker::close(int fd) {
  // Closing the descriptor (TcpConnection's destructor) also removes it from epoll.
  open_.erase(fd);
  connections_.curr_connections.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace unbuckle::net
