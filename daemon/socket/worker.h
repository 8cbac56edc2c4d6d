// One worker thread of the socket datapaths: an epoll loop over its own
// UDP socket and TCP listener per listening address (SO_REUSEPORT members
// of a group, see reuseport_group.h) and the connections it accepted. A connection
// stays on the worker that accepted it. The loop ends when the shared stop
// eventfd becomes readable. With an idle timeout it also closes the TCP
// connections that wait for a command longer than that (memcached's
// -o idle_timeout, counted as idle_kicks), checking once a second. With
// busy polling (--busy-poll) it never sleeps in epoll_wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>
#include <unordered_map>

#include "proto/engine.h"
#include "proto/stats.h"
#include "result.h"
#include "unbuckle/file_descriptor.h"
#include "socket/tcp_connection.h"
#include "socket/udp_endpoint.h"

namespace unbuckle::net {

class Worker {
 public:
  // `udp` and `listeners` are empty when UDP or TCP is disabled. Fails
  // (with the errno) when its epoll instance cannot be made or watch them.
  static Result<std::unique_ptr<Worker>> create(proto::Engine& engine, proto::WorkerStats& stats,
                                                proto::ConnectionStats& connections, int stop_fd,
                                                std::vector<std::unique_ptr<UdpEndpoint>> udp,
                                                std::vector<FileDescriptor> listeners,
                                                const ConnectionLimits& limits, BufferPool& pool,
                                                uint32_t max_connections, uint32_t idle_timeout = 0,
                                                bool busy_poll = false);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Serves until the stop eventfd is readable, then closes its connections.
  // Runs once. An epoll_wait that fails (other than EINTR: a bug) ends the
  // process with the reason logged.
  void run();

  // Appends this worker's sockets as `stats conns` shows them; any thread.
  // The listeners only `with_listeners`: a SO_REUSEPORT group is one
  // listener per address to a client, as memcached's single one.
  void listSockets(std::vector<proto::ConnectionInfo>& out, bool with_listeners) const;

 private:
  Worker(proto::Engine& engine, proto::WorkerStats& stats, proto::ConnectionStats& connections,
         int stop_fd, std::vector<std::unique_ptr<UdpEndpoint>> udp,
         std::vector<FileDescriptor> listeners,
         const ConnectionLimits& limits, BufferPool& pool, uint32_t max_connections,
         uint32_t idle_timeout, bool busy_poll, FileDescriptor epoll);

  struct Connection {
    std::unique_ptr<TcpConnection> tcp;
    uint32_t interest = 0;
  };

  bool watch(int fd, uint32_t events, int op);
  void acceptConnections(int listener);
  void pauseListeners();
  // Re-enables paused listeners when their pause is over; returns the
  // epoll_wait timeout until then (-1: not paused).
  int resumeListeners();
  bool watchListeners(uint32_t events);
  void onConnection(int fd, uint32_t events);
  void close(int fd);
  // Closes connections idle past the timeout; returns the epoll_wait
  // timeout until the next check (-1: no timeout).
  int closeIdle();

  proto::Engine& engine_;
  proto::WorkerStats& stats_;
  proto::ConnectionStats& connections_;
  int stop_fd_;
  std::vector<std::unique_ptr<UdpEndpoint>> udp_;
  std::vector<FileDescriptor> listeners_;
  ConnectionLimits limits_;
  BufferPool& pool_;
  uint32_t max_connections_;
  uint32_t idle_timeout_;
  bool busy_poll_;   // epoll_wait never sleeps
  const int64_t started_;   // steady seconds: the listening sockets' "last command"
  int64_t next_idle_check_ = 0;
  FileDescriptor epoll_;
  std::optional<std::chrono::steady_clock::time_point> listener_resume_;
  std::chrono::steady_clock::time_point listener_paused_at_;
  bool listener_paused_before_ = false;
  // Written by the worker thread only, always under listing_mutex_, so that
  // listSockets() can read it from another thread.
  std::unordered_map<int, Connection> open_;
  mutable std::mutex listing_mutex_;
};

}  // namespace unbuckle::net
