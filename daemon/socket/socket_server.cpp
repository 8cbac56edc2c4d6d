#include "socket/socket_server.h"

#include <errno.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "socket/reuseport_group.h"
#include "udp/datagram_reply_sink.h"

namespace unbuckle::net {
namespace {

// Every TCP client needs a descriptor; raise the soft limit towards what
// max_connections implies (memcached does the same for -c).
void raiseFileLimit(const SocketServerConfig& config) {
  const rlim_t wanted = rlim_t{config.max_connections} + 4 * config.threads + 64;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) {
    return;
  }
  limit.rlim_cur = std::min(wanted, limit.rlim_max);
  setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < wanted) {
    spdlog::warn("open-file limit {} is too low for --max-connections {}: connections beyond it "
                 "wait until others close",
                 limit.rlim_cur, config.max_connections);
  }
}

}  // namespace

SocketServer::SocketServer(const SocketServerConfig& config, FileDescriptor stop,
                           proto::StatsRegistry& stats)
    : config_(config), stats_(stats), stop_(std::move(stop)) {}

// The addresses `listen` stands for (see SocketServerConfig::listen).
std::vector<std::string> SocketServer::addresses(const std::string& listen) {
  if (!listen.empty()) {
    return {listen};
  }
  std::vector<std::string> every = {"0.0.0.0"};
  if (FileDescriptor probe(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)); probe) {
    every.push_back("::");
  } else {
    spdlog::warn("no IPv6 on this host ({}): listening on 0.0.0.0 only", strerror(errno));
  }
  return every;
}

Result<std::unique_ptr<SocketServer>> SocketServer::create(const SocketServerConfig& config,
                                                           proto::Engine& engine,
                                                           proto::StatsRegistry& stats) {
  // Per protocol, one SO_REUSEPORT group per address: groups[a][worker].
  std::vector<std::vector<FileDescriptor>> udp_groups;
  std::vector<std::vector<FileDescriptor>> tcp_groups;
  for (const std::string& address : addresses(config.listen)) {
    for (const auto& [port, protocol, groups] :
         {std::tuple{config.udp_port, Protocol::kUdp, &udp_groups},
          std::tuple{config.tcp_port, Protocol::kTcp, &tcp_groups}}) {
      if (port == 0) {
        continue;
      }
      const auto endpoint = Endpoint::parse(address, port);
      if (!endpoint) {
        return Error{"cannot listen on " + address + ": not a numeric IP address"};
      }
      auto group = openReusePortGroup(*endpoint, protocol, config.threads);
      if (!group.ok()) {
        return group.failure();
      }
      groups->push_back(std::move(group.value()));
    }
  }
  FileDescriptor stop(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop) {
    return systemError("cannot create an eventfd", errno);
  }
  raiseFileLimit(config);

  std::unique_ptr<SocketServer> server(new SocketServer(config, std::move(stop), stats));
  const ConnectionLimits limits = ConnectionLimits::forItemSize(config.max_item_size);
  server->pool_ = std::make_unique<BufferPool>(
      std::max(config.buffer_pool_bytes, 4 * limits.max_input));
  udp::DatagramServerSettings udp_settings;
  udp_settings.allow = server->config_.allow.get();
  udp_settings.max_reply_bytes = udp::DatagramReplySink::replyBudget(config.max_item_size);
  udp_settings.budget = config.reply_budget;
  udp_settings.admin_commands = config.udp_admin;
  udp_settings.coalesce_replies = config.udp_coalesce_replies;
  for (size_t i = 0; i < config.threads; ++i) {
    proto::WorkerStats& worker_stats = stats.addWorker();
    std::vector<std::unique_ptr<UdpEndpoint>> udp;
    for (auto& group : udp_groups) {
      udp.push_back(std::make_unique<UdpEndpoint>(std::move(group[i]), engine, worker_stats, udp_settings));
    }
    std::vector<FileDescriptor> listeners;
    for (auto& group : tcp_groups) {
      listeners.push_back(std::move(group[i]));
    }
    auto worker = Worker::create(engine, worker_stats, stats.connections(), server->stop_.get(), std::move(udp),
                                 std::move(listeners), limits, *server->pool_, config.max_connections,
                                 config.idle_timeout, config.busy_poll);
    if (!worker.ok()) return worker.failure().within("cannot start the socket workers");
    server->workers_.push_back(std::move(worker.value()));
  }
  // memcached -t N: one conn per TCP listener, N per UDP socket.
  server->server_conns_ = tcp_groups.size() + udp_groups.size() * config.threads;
  stats.connections().server_conns.fetch_add(server->server_conns_, std::memory_order_relaxed);
  stats.connections().total_connections.fetch_add(server->server_conns_, std::memory_order_relaxed);
  server->lister_id_ = stats.addConnectionLister([s = server.get()](auto& out) {
    for (const auto& worker : s->workers_) worker->listSockets(out, worker == s->workers_.front());
  });
  return server;
}

SocketServer::~SocketServer() {
  if (lister_id_ >= 0) stats_.removeConnectionLister(lister_id_);
  stop();
}

void SocketServer::start() {
  for (auto& worker : workers_) {
    threads_.emplace_back([w = worker.get()] { w->run(); });
  }
}

void SocketServer::stop() {
  if (lister_id_ >= 0) {
    stats_.removeConnectionLister(lister_id_);
    lister_id_ = -1;
  }
  stats_.connections().server_conns.fetch_sub(server_conns_, std::memory_order_relaxed);
  server_conns_ = 0;
  if (threads_.empty()) {
    return;
  }
  const uint64_t one = 1;
  if (write(stop_.get(), &one, sizeof one) != sizeof one) {
    spdlog::error("cannot signal the socket workers to stop: {}", strerror(errno));
  }
  for (std::thread& thread : threads_) {
    thread.join();
  }
  threads_.clear();
  workers_.clear();   // closes the listening sockets
}

}  // namespace unbuckle::net
