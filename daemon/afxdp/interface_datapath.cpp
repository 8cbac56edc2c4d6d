#include "afxdp/interface_datapath.h"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "afxdp/frame_pool.h"
#include "afxdp/interface_info.h"
#include "afxdp/umem_cost.h"
#include "udp/datagram_reply_sink.h"
#include "unbuckle/bpf_abi.h"

namespace unbuckle::afxdp {
namespace {

// A queue whose previous socket is still being released (its owner just
// exited) refuses bind() with EBUSY for a moment: retry for two seconds.
constexpr auto kBindRetryTime = std::chrono::seconds(2);
constexpr auto kBindRetryDelay = std::chrono::milliseconds(20);

// ", workers on CPUs 0,1" for the start-up line, or nothing.
std::string cpuText(const std::vector<uint32_t>& cpus) {
  if (cpus.empty()) {
    return {};
  }
  std::string text = ", workers on CPUs ";
  for (size_t i = 0; i < cpus.size(); ++i) {
    text += (i > 0 ? "," : "") + std::to_string(cpus[i]);
  }
  return text;
}

}  // namespace

DatapathOptions datapathOptions(const config::DaemonConfig& config, const std::string& interface) {
  DatapathOptions options;
  options.interface = interface;
  options.port = config.port;
  options.xdp_mode = config.xdp_mode;
  options.zero_copy = config.zerocopy;
  options.busy_poll = config.busy_poll;
  options.cpus = config.cpus;
  options.pin_root = config.pin_path;
  options.max_item_size = config.max_item_size;
  options.fixed_reply_bytes = config.debug_fixed_reply;
  options.reply_budget = {config.udp_reply_rate, config.udp_reply_burst};
  options.udp_admin = config.udp_admin;
  options.udp_coalesce_replies = config.udp_coalesce_replies;
  return options;
}

Result<uint32_t> servedQueues(const DatapathOptions& options) {
  const std::string& interface = options.interface;
  const uint32_t available = rxQueueCount(interface);
  const uint32_t queues = options.queues == 0 ? available : options.queues;
  if (queues > available) {
    return Error{interface + " has " + std::to_string(available) + " RX queues, not " +
                 std::to_string(queues)};
  }
  if (queues > UNBUCKLE_MAX_QUEUES) {
    return Error{interface + " has " + std::to_string(queues) + " RX queues; at most " +
                 std::to_string(UNBUCKLE_MAX_QUEUES) + " can be served"};
  }
  return queues;
}

Result<std::unique_ptr<InterfaceDatapath>> InterfaceDatapath::create(
    const DatapathOptions& options, proto::Engine& engine, proto::StatsRegistry& stats,
    std::vector<proto::WorkerStats*>* spare_stats) {
  std::unique_ptr<InterfaceDatapath> self(new InterfaceDatapath);
  self->options_ = options;
  const std::string& interface = options.interface;

  // What can be refused without touching the interface, first.
  auto served = servedQueues(options);
  if (!served.ok()) {
    return served.failure();
  }
  const uint32_t queues = served.value();
  if (auto fits = checkUmemFits(interface, queues, availableMemory()); !fits.ok()) {
    return fits.failure();
  }
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  sched_getaffinity(0, sizeof(allowed), &allowed);
  for (const uint32_t cpu : options.cpus) {
    if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) {
      return Error{"--cpus: CPU " + std::to_string(cpu) + " is not available to this process (it has " +
                   std::to_string(CPU_COUNT(&allowed)) + "; see taskset -p " + std::to_string(getpid()) + ")"};
    }
  }

  if (interface == "lo") {
    auto routing = LoopbackRouting::enable();
    if (!routing.ok()) {
      return routing.failure();
    }
    self->loopback_ = std::move(routing.value());
  }

  auto attached = xdp::XdpAttachment::attach(xdp::AttachOptions{
      interface, options.xdp_mode, options.port, options.pin_root, UNBUCKLE_XSK_RX_ROOM, options.kernel_cache,
      options.allow_maps, options.reply_budget.rate, options.reply_budget.burst});
  if (!attached.ok()) {
    return attached.failure();
  }
  self->attachment_ = std::move(attached.value());
  // Only the log depends on it: serving goes on without.
  auto watch = LinkWatch::create(interface, self->attachment_->ifindex());
  if (watch.ok()) {
    self->link_watch_ = std::move(watch.value());
  } else {
    spdlog::warn("{}; the link going down or its MTU changing will not be logged", watch.error());
  }

  const uint32_t available = rxQueueCount(interface);
  std::string zero_copy_note;
  auto bound = self->bindQueues(queues, zero_copy_note);
  if (!bound.ok()) {
    return bound.failure();
  }
  for (const auto& socket : self->sockets_) {
    if (int err = socket->insertInto(self->attachment_->xsksMapFd())) {
      return systemError("cannot put the AF_XDP socket of " + interface + " queue " + std::to_string(socket->queue()) +
                             " in the XSKMAP",
                         -err);
    }
  }

  self->stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (self->stop_fd_ < 0) {
    return systemError("eventfd", errno);
  }
  WorkerSettings settings;
  settings.server.allow = self->options_.allow.get();
  settings.server.max_reply_bytes = udp::DatagramReplySink::replyBudget(options.max_item_size);
  settings.server.budget = options.reply_budget;
  settings.server.admin_commands = options.udp_admin;
  settings.server.coalesce_replies = options.udp_coalesce_replies;
  settings.busy_poll = options.busy_poll;
  if (options.fixed_reply_bytes) {
    const uint32_t bytes = *options.fixed_reply_bytes;
    self->fixed_reply_ = "VALUE fixed 0 " + std::to_string(bytes) + "\r\n" + std::string(bytes, 'x') + "\r\nEND\r\n";
    settings.server.fixed_reply = &self->fixed_reply_;
  }
  // Nothing fails from here on: the spare stats blocks are used only now.
  for (size_t i = 0; i < self->sockets_.size(); ++i) {
    proto::WorkerStats* worker_stats = nullptr;
    if (spare_stats != nullptr && !spare_stats->empty()) {
      worker_stats = spare_stats->back();
      spare_stats->pop_back();
    } else {
      worker_stats = &stats.addWorker();
    }
    self->worker_stats_.push_back(worker_stats);
    self->workers_.push_back(std::make_unique<QueueWorker>(*self->sockets_[i], *self->umems_[i],
                                                           FramePool(0, kFramesPerQueue, kFrameSize), engine,
                                                           *worker_stats, settings));
  }

  self->stats_ = &stats;
  self->stats_source_ = stats.addSource([datapath = self.get()](auto& out) { datapath->addStats(out); });

  self->driver_ = driverName(interface);
  self->summary_ = interface + " (" + self->driver_ + "): XDP " + std::string(self->attachment_->modeName()) +
                   ", AF_XDP " + (self->zeroCopy() ? "zero-copy" : "copy") + zero_copy_note + ", " +
                   std::to_string(queues) + " of " + std::to_string(available) +
                   " RX queues, one worker and a " + std::to_string(kUmemBytesPerQueue >> 20) +
                   " MiB umem each, UDP port " + std::to_string(options.port) + ", busy-poll " +
                   (options.busy_poll ? "on" : "off") + cpuText(options.cpus) + ", pins " +
                   self->attachment_->pinDir() +
                   (options.fixed_reply_bytes ? ", DEBUG: every request gets the same reply of " +
                                                    std::to_string(*options.fixed_reply_bytes) +
                                                    " value bytes, the store is not used"
                                              : "");
  return self;
}

Result<bool> InterfaceDatapath::bindQueues(uint32_t queues, std::string& zero_copy_note) {
  const std::string& interface = options_.interface;
  const bool native = attachment_->modeName() == "native";
  if (options_.zero_copy == config::ZeroCopy::kOn && !native) {
    return Error{"--zerocopy on needs native XDP, and " + interface + " is attached in skb mode"};
  }
  if (options_.zero_copy == config::ZeroCopy::kAuto && !native) {
    zero_copy_note = " (zero-copy needs native XDP)";
  }
  SocketOptions socket_options;
  socket_options.rx_size = kRingSize;
  socket_options.tx_size = kRingSize;
  socket_options.zero_copy = native && options_.zero_copy != config::ZeroCopy::kOff;
  socket_options.busy_poll = options_.busy_poll;
  const Umem::Layout layout{kFillRingSize, kRingSize};

  const auto deadline = std::chrono::steady_clock::now() + kBindRetryTime;
  for (int attempt = 1;; ++attempt) {
    std::optional<Error> refused;
    for (uint32_t queue = 0; queue < queues; ++queue) {
      auto umem = Umem::create(layout);
      if (!umem.ok()) {
        sockets_.clear();
        umems_.clear();
        return umem.failure();
      }
      umems_.push_back(std::move(umem.value()));
      auto socket = XskSocket::create(*umems_.back(), interface, queue, socket_options);
      if (!socket.ok()) {
        refused = socket.failure();
        break;
      }
      sockets_.push_back(std::move(socket.value()));
    }
    if (!refused) {
      return true;
    }
    // Start again from fresh umems: sockets first, then the umems.
    sockets_.clear();
    umems_.clear();
    const bool busy = refused->errno_value == EBUSY;
    if (busy && std::chrono::steady_clock::now() < deadline) {
      spdlog::debug("{} (attempt {}), retrying", refused->message, attempt);
      std::this_thread::sleep_for(kBindRetryDelay);
      continue;
    }
    if (!busy && socket_options.zero_copy && options_.zero_copy == config::ZeroCopy::kAuto) {
      zero_copy_note = std::string(" (zero-copy refused: ") + std::strerror(refused->errno_value) +
                       "; --zerocopy auto fell back to copy)";
      socket_options.zero_copy = false;
      continue;
    }
    if (busy) {
      refused->message += " (another AF_XDP socket holds the queue)";
    } else if (socket_options.zero_copy) {
      refused->message += " (--zerocopy auto falls back to copy mode)";
    }
    return *refused;
  }
}

void InterfaceDatapath::start() {
  for (const auto& worker : workers_) {
    QueueWorker* w = worker.get();
    const int stop_fd = stop_fd_;
    threads_.emplace_back([w, stop_fd](std::stop_token stop) { w->run(stop, stop_fd); });
    // "xsk:IFACE/Q" for top and perf, cut to the 15 characters Linux keeps.
    const std::string name =
        ("xsk:" + options_.interface + "/" + std::to_string(w->queue())).substr(0, 15);
    pthread_setname_np(threads_.back().native_handle(), name.c_str());
    if (!options_.cpus.empty()) {
      cpu_set_t cpu;
      CPU_ZERO(&cpu);
      CPU_SET(options_.cpus[w->queue() % options_.cpus.size()], &cpu);
      if (int err = pthread_setaffinity_np(threads_.back().native_handle(), sizeof(cpu), &cpu)) {
        spdlog::warn("{}: cannot pin the worker of queue {}: {}", options_.interface, w->queue(),
                     std::strerror(err));
      }
    }
  }
  if (link_watch_) {
    LinkWatch* watch = link_watch_.get();
    threads_.emplace_back([watch, stop_fd = stop_fd_] { watch->run(stop_fd); });
    pthread_setname_np(threads_.back().native_handle(), ("link:" + options_.interface).substr(0, 15).c_str());
  }
}

void InterfaceDatapath::stop() {
  if (stats_source_ >= 0) {
    stats_->removeSource(stats_source_);
    stats_source_ = -1;
  }
  if (threads_.empty()) {
    return;
  }
  for (auto& thread : threads_) {
    thread.request_stop();
  }
  const uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) < 0) {
    spdlog::warn("{}: cannot wake the AF_XDP workers: {}", options_.interface, std::strerror(errno));
  }
  threads_.clear();   // joins
  for (size_t i = 0; i < workers_.size(); ++i) {
    const QueueWorker& worker = *workers_[i];
    const QueueCounters& c = worker.counters();
    const xdp_statistics kernel = sockets_[i]->statistics();
    spdlog::info(
        "{} queue {}: {} frames in, {} out, {} malformed, {} replies dropped (no frame {}, TX ring "
        "full {}); frames {} free + {} fill + {} TX of {}; the kernel dropped {} frames for want of "
        "room, {} on a full RX ring, {} on an empty fill ring",
        options_.interface, worker.queue(), c.rx_frames.load(), c.tx_frames.load(),
        c.rx_malformed.load(), c.tx_dropped_no_frame.load() + c.tx_dropped_ring_full.load(),
        c.tx_dropped_no_frame.load(), c.tx_dropped_ring_full.load(), c.frames_free.load(),
        c.frames_in_fill.load(), c.frames_in_tx.load(), worker.frames(), kernel.rx_dropped,
        kernel.rx_ring_full, kernel.rx_fill_ring_empty_descs);
  }
}

InterfaceDatapath::~InterfaceDatapath() {
  stop();
  if (stop_fd_ >= 0) {
    close(stop_fd_);
  }
}

void InterfaceDatapath::addStats(std::vector<std::pair<std::string, uint64_t>>& out) const {
  for (const auto& [name, value] : attachment_->counters()) {
    out.emplace_back("xdp_" + std::string(name), value);
  }
  const auto sum = [&](proto::Counter QueueCounters::*field) {
    uint64_t total = 0;
    for (const auto& worker : workers_) {
      total += (worker->counters().*field).load(std::memory_order_relaxed);
    }
    return total;
  };
#define UNBUCKLE_ADD_QUEUE_COUNTER(name) out.emplace_back("afxdp_" #name, sum(&QueueCounters::name));
  UNBUCKLE_QUEUE_COUNTERS(UNBUCKLE_ADD_QUEUE_COUNTER)
#undef UNBUCKLE_ADD_QUEUE_COUNTER
  xdp_statistics kernel{};
  for (const auto& socket : sockets_) {
    const xdp_statistics one = socket->statistics();
#define UNBUCKLE_SUM_KERNEL_COUNTER(name) kernel.name += one.name;
    UNBUCKLE_XSK_KERNEL_COUNTERS(UNBUCKLE_SUM_KERNEL_COUNTER)
#undef UNBUCKLE_SUM_KERNEL_COUNTER
  }
#define UNBUCKLE_ADD_KERNEL_COUNTER(name) out.emplace_back("afxdp_kernel_" #name, kernel.name);
  UNBUCKLE_XSK_KERNEL_COUNTERS(UNBUCKLE_ADD_KERNEL_COUNTER)
#undef UNBUCKLE_ADD_KERNEL_COUNTER
}

}  // namespace unbuckle::afxdp
