#include "socket/worker.h"

#include <errno.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <string_view>

#include "socket/endpoint.h"

namespace unbuckle::net {
namespace {

constexpr int kEventsPerWait = 64;
constexpr int kAcceptsPerEvent = 64;
// After running out of file descriptors, accept() waits this long (memcached
// also stops accepting for a while and counts listen_disabled_num).
constexpr std::chrono::milliseconds kListenerPause(100);
// memcached 1.6.18 with maxconns_fast (memcached.c).
constexpr std::string_view kTooManyConnections = "ERROR Too many open connections\r\n";
// How often idle connections are looked for (the timeout is in seconds).
constexpr int kIdleCheckMs = 1000;

}  // namespace

Result<std::unique_ptr<Worker>> Worker::create(proto::Engine& engine, proto::WorkerStats& stats,
                                               proto::ConnectionStats& connections, int stop_fd,
                                               std::vector<std::unique_ptr<UdpEndpoint>> udp,
                                               std::vector<FileDescriptor> listeners,
                                               const ConnectionLimits& limits, BufferPool& pool,
                                               uint32_t max_connections, uint32_t idle_timeout,
                                               bool busy_poll) {
  FileDescriptor epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return systemError("epoll_create1", errno);
  std::unique_ptr<Worker> worker(new Worker(engine, stats, connections, stop_fd, std::move(udp),
                                            std::move(listeners), limits, pool, max_connections,
                                            idle_timeout, busy_poll, std::move(epoll)));
  bool watched = worker->watch(stop_fd, EPOLLIN, EPOLL_CTL_ADD);
  for (const auto& endpoint : worker->udp_) {
    watched = watched && worker->watch(endpoint->fd(), EPOLLIN, EPOLL_CTL_ADD);
  }
  for (const auto& listener : worker->listeners_) {
    watched = watched && worker->watch(listener.get(), EPOLLIN, EPOLL_CTL_ADD);
  }
  if (!watched) return systemError("epoll_ctl", errno);
  return worker;
}

Worker::Worker(proto::Engine& engine, proto::WorkerStats& stats,
               proto::ConnectionStats& connections, int stop_fd,
               std::vector<std::unique_ptr<UdpEndpoint>> udp, std::vector<FileDescriptor> listeners,
               const ConnectionLimits& limits, BufferPool& pool, uint32_t max_connections,
               uint32_t idle_timeout, bool busy_poll, FileDescriptor epoll)
    : engine_(engine),
      stats_(stats),
      connections_(connections),
      stop_fd_(stop_fd),
      udp_(std::move(udp)),
      listeners_(std::move(listeners)),
      limits_(limits),
      pool_(pool),
      max_connections_(max_connections),
      idle_timeout_(idle_timeout),
      busy_poll_(busy_poll),
      started_(TcpConnection::steadySeconds()),
      epoll_(std::move(epoll)) {}

bool Worker::watchListeners(uint32_t events) {
  bool watched = true;
  for (const auto& listener : listeners_) watched = watch(listener.get(), events, EPOLL_CTL_MOD) && watched;
  return watched;
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
    const int resume = resumeListeners();
    const int idle = closeIdle();
    const int timeout = resume < 0 ? idle : (idle < 0 ? resume : std::min(resume, idle));
    const int n = epoll_wait(epoll_.get(), events.data(), kEventsPerWait, busy_poll_ ? 0 : timeout);
    if (n < 0 && errno != EINTR) {
      spdlog::critical("socket worker: epoll_wait: {}: stopping the daemon", strerror(errno));
      std::abort();
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == stop_fd_) {
        std::lock_guard lock(listing_mutex_);
        connections_.curr_connections.fetch_sub(open_.size(), std::memory_order_relaxed);
        open_.clear();
        return;
      }
      const auto endpoint = std::find_if(udp_.begin(), udp_.end(),
                                         [fd](const auto& e) { return e->fd() == fd; });
      const auto listener = std::find_if(listeners_.begin(), listeners_.end(),
                                         [fd](const auto& l) { return l.get() == fd; });
      if (endpoint != udp_.end()) {
        (*endpoint)->onReadable();
      } else if (listener != listeners_.end()) {
        acceptConnections(fd);
      } else {
        onConnection(fd, events[i].events);
      }
    }
  }
}

void Worker::acceptConnections(int listener) {
  for (int i = 0; i < kAcceptsPerEvent; ++i) {
    FileDescriptor socket(accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!socket) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        pauseListeners();
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
    {
      std::lock_guard lock(listing_mutex_);
      open_[fd] = Connection{std::make_unique<TcpConnection>(std::move(socket), limits_, pool_), EPOLLIN};
    }
    connections_.curr_connections.fetch_add(1, std::memory_order_relaxed);
    connections_.total_connections.fetch_add(1, std::memory_order_relaxed);
  }
}

void Worker::pauseListeners() {
  if (!listener_resume_ && watchListeners(0)) {
    listener_paused_at_ = std::chrono::steady_clock::now();
    listener_resume_ = listener_paused_at_ + kListenerPause;
    connections_.listen_disabled_num.fetch_add(1, std::memory_order_relaxed);
    connections_.accepting_conns.store(false, std::memory_order_relaxed);
    // Counted every time (listen_disabled_num), logged once per worker.
    spdlog::log(listener_paused_before_ ? spdlog::level::debug : spdlog::level::warn,
                "out of file descriptors: not accepting TCP connections for {} ms",
                kListenerPause.count());
    listener_paused_before_ = true;
  }
}

int Worker::resumeListeners() {
  if (!listener_resume_) {
    return -1;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now >= *listener_resume_ && watchListeners(EPOLLIN)) {
    listener_resume_.reset();
    const auto paused = std::chrono::duration_cast<std::chrono::microseconds>(now - listener_paused_at_);
    connections_.time_in_listen_disabled_us.fetch_add(static_cast<uint64_t>(paused.count()),
                                                      std::memory_order_relaxed);
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
  {
    std::lock_guard lock(listing_mutex_);
    open_.erase(fd);
  }
  connections_.curr_connections.fetch_sub(1, std::memory_order_relaxed);
}

int Worker::closeIdle() {
  if (idle_timeout_ == 0) {
    return -1;
  }
  const int64_t now = TcpConnection::steadySeconds();
  if (now >= next_idle_check_) {
    next_idle_check_ = now + kIdleCheckMs / 1000;
    std::vector<int> idle;
    for (const auto& [fd, connection] : open_) {
      // As memcached: more than idle_timeout whole seconds, and only while
      // the connection waits for a command (not mid-value or mid-reply).
      if (connection.tcp->awaitingCommand() && now - connection.tcp->lastCommand() > idle_timeout_) {
        idle.push_back(fd);
      }
    }
    for (const int fd : idle) {
      close(fd);
      proto::bump(stats_.idle_kicks);
    }
  }
  return kIdleCheckMs;
}

void Worker::listSockets(std::vector<proto::ConnectionInfo>& out, bool with_listeners) const {
  const int64_t now = TcpConnection::steadySeconds();
  auto since = [now](int64_t then) { return static_cast<uint64_t>(now > then ? now - then : 0); };
  std::lock_guard lock(listing_mutex_);
  for (size_t i = 0; with_listeners && i < listeners_.size(); ++i) {
    out.push_back({listeners_[i].get(), false, statsAddress(listeners_[i].get(), false, false), "",
                   "conn_listening", since(started_)});
  }
  for (const auto& endpoint : udp_) {
    out.push_back({endpoint->fd(), true, statsAddress(endpoint->fd(), true, false), "", "conn_read",
                   since(endpoint->lastDatagram())});
  }
  for (const auto& [fd, connection] : open_) {
    out.push_back({fd, false, statsAddress(fd, false, true), statsAddress(fd, false, false),
                   connection.tcp->stateName(), since(connection.tcp->lastCommand())});
  }
}

}  // namespace unbuckle::net
