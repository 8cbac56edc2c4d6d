// memcached over kernel sockets: UDP with recvmmsg/sendmmsg (the socket
// backend) and TCP with epoll, on `threads` workers that each own one
// SO_REUSEPORT socket per protocol (see worker.h). TCP connections are
// spread by the kernel's SO_REUSEPORT flow hash rather than by an accept
// thread: no hand-off between threads, no shared listener. Every socket is
// listed in `stats conns` through the StatsRegistry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/cidr.h"
#include "proto/engine.h"
#include "proto/stats.h"
#include "result.h"
#include "unbuckle/file_descriptor.h"
#include "socket/worker.h"

namespace unbuckle::net {

struct SocketServerConfig {
  std::string listen = "0.0.0.0";   // numeric IPv4 or IPv6 address
  uint16_t udp_port = 11211;        // 0: no UDP
  uint16_t tcp_port = 11211;        // 0: no TCP
  size_t threads = 1;
  uint32_t max_connections = 1024;  // TCP clients; more get "ERROR Too many open connections"
  size_t max_item_size = 1u << 20;  // sizes the per-connection and per-request buffers
  std::vector<config::Cidr> allow;  // UDP sources that get answers
  uint32_t idle_timeout = 0;        // seconds a TCP client may wait between commands; 0: forever
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

  void start();
  // Tells every worker to stop and joins them; connections and listening
  // sockets close. The server cannot be started again.
  void stop();

 private:
  SocketServer(const SocketServerConfig& config, FileDescriptor stop, proto::StatsRegistry& stats);

  SocketServerConfig config_;
  proto::StatsRegistry& stats_;
  int lister_id_ = -1;   // our sockets in `stats conns`
  FileDescriptor stop_;   // eventfd, readable once stop() is called
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace unbuckle::net
