// memcached over kernel sockets: UDP with recvmmsg/sendmmsg (the socket
// backend) and TCP with epoll, on `threads` workers that each own one
// SO_REUSEPORT socket per protocol and address (see worker.h). TCP
// connections are spread by the kernel's SO_REUSEPORT flow hash rather than
// by an accept thread: no hand-off between threads, no shared listener.
//
// `stats conns` and the connection counts read as memcached -t <threads>
// with the same addresses: per address one TCP listener (the group is
// listed once, by its first socket) and one UDP socket per worker (memcached
// has one UDP "connection" per thread), then the clients.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/daemon_config.h"
#include "udp/allow_list.h"
#include "proto/engine.h"
#include "proto/stats.h"
#include "result.h"
#include "unbuckle/file_descriptor.h"
#include "socket/buffer_pool.h"
#include "socket/worker.h"
#include "udp/reply_budget.h"

namespace unbuckle::net {

struct SocketServerConfig {
  // A numeric IPv4 or IPv6 address (IPv6 ones are IPv6 only, as memcached
  // sets IPV6_V6ONLY); empty: 0.0.0.0 and ::, as memcached without -l (::
  // is skipped with a warning where the host has no IPv6).
  std::string listen;
  uint16_t udp_port = 11211;        // 0: no UDP
  uint16_t tcp_port = 11211;        // 0: no TCP
  size_t threads = 1;
  uint32_t max_connections = 1024;  // TCP clients; more get "ERROR Too many open connections"
  size_t max_item_size = 1u << 20;  // sizes the per-connection and per-request buffers
  // UDP sources that get answers, replaceable while serving.
  std::shared_ptr<const udp::AllowList> allow = std::make_shared<const udp::AllowList>(config::defaultAllow());
  udp::ReplyBudgetConfig reply_budget;   // per UDP source and worker
  bool udp_admin = false;           // admin commands over UDP too
  bool udp_coalesce_replies = false;  // a request's small responses in one datagram
  uint32_t idle_timeout = 0;        // seconds a TCP client may wait between commands; 0: forever
  // Workers spin in epoll_wait instead of sleeping: a client's datagram
  // then never waits for a worker to wake up (and its sender never pays
  // for waking it), at the cost of one core per worker.
  bool busy_poll = false;
  // Buffer memory all TCP connections share beyond their guarantees (see
  // buffer_pool.h); raised to at least four connections' max_input.
  size_t buffer_pool_bytes = 64u << 20;
};

class SocketServer {
 public:
  // Opens every socket (nothing is served yet); fails with a one-line
  // reason such as "cannot listen on 127.0.0.1:11211 (TCP): address in use".
  static Result<std::unique_ptr<SocketServer>> create(const SocketServerConfig& config,
                                                      proto::Engine& engine,
                                                      proto::StatsRegistry& stats);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  // The addresses `listen` stands for: itself, or 0.0.0.0 and :: (without
  // :: where the host has no IPv6).
  static std::vector<std::string> addresses(const std::string& listen);

  void start();
  // Tells every worker to stop and joins them; connections and listening
  // sockets close. The server cannot be started again.
  void stop();

 private:
  SocketServer(const SocketServerConfig& config, FileDescriptor stop, proto::StatsRegistry& stats);

  SocketServerConfig config_;
  proto::StatsRegistry& stats_;
  int lister_id_ = -1;   // our sockets in `stats conns`
  uint64_t server_conns_ = 0;   // our part of ConnectionStats::server_conns
  FileDescriptor stop_;   // eventfd, readable once stop() is called
  std::unique_ptr<BufferPool> pool_;   // outlives the workers that borrow from it
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace unbuckle::net
