#include "control/running_daemon.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "afxdp/interface_info.h"
#include "config/command_line.h"
#include "control/stats_json.h"
#include "proto/reply_sink.h"
#include "unbuckle/version.h"

namespace unbuckle::control {
namespace {

class StringSink : public proto::ReplySink {
 public:
  void append(std::string_view bytes) override { text.append(bytes); }
  void endResponse() override {}
  std::string text;
};

// "STAT name value" lines by name.
std::map<std::string, std::string, std::less<>> statsByName(const std::string& reply) {
  std::map<std::string, std::string, std::less<>> fields;
  size_t start = 0;
  while (start < reply.size()) {
    const size_t end = reply.find("\r\n", start);
    const std::string line = reply.substr(start, end - start);
    start = end == std::string::npos ? reply.size() : end + 2;
    if (!line.starts_with("STAT ")) continue;
    const size_t space = line.find(' ', 5);
    if (space != std::string::npos) fields[line.substr(5, space - 5)] = line.substr(space + 1);
  }
  return fields;
}

uint64_t number(const std::map<std::string, std::string, std::less<>>& fields, std::string_view name) {
  const auto it = fields.find(name);
  uint64_t value = 0;
  if (it != fields.end()) std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  return value;
}

// The level as --log-level names it (spdlog says "warning" for warn).
std::string levelName(spdlog::level::level_enum level) {
  if (level == spdlog::level::warn) return "warn";
  const auto name = spdlog::level::to_string_view(level);
  return std::string(name.data(), name.size());
}

InterfaceStatus interfaceStatus(const afxdp::InterfaceStatus& backend) {
  InterfaceStatus status;
  status.interface = backend.interface;
  status.driver = backend.driver;
  status.xdp_mode = backend.xdp_mode;
  status.bind_mode = backend.bind_mode;
  for (uint32_t queue = 0; queue < backend.queues; ++queue) status.queues.push_back(queue);
  status.worker_cpus = backend.worker_cpus;
  return status;
}

}  // namespace

RunningDaemon::RunningDaemon(const config::DaemonConfig& config, proto::Engine& engine, proto::StatsRegistry& stats,
                             afxdp::AfxdpBackend* backend, service::AllowListKeeper& allow)
    : config_(config), engine_(engine), backend_(backend), allow_(allow), worker_(stats.addWorker()) {}

Result<std::string> RunningDaemon::attach(const AttachRequest& request) {
  if (!backend_) return Error{noBackend()};
  afxdp::DatapathOptions options = afxdp::datapathOptions(config_, request.interface);
  if (request.queues) options.queues = *request.queues;
  if (request.xdp_mode) options.xdp_mode = *request.xdp_mode;
  if (request.zero_copy) options.zero_copy = *request.zero_copy;
  auto attached = backend_->attach(options);
  if (attached.ok()) {
    spdlog::info("control: {}", attached.value());
    allow_.warnIfExposed(request.interface);
  }
  return attached;
}

Result<std::string> RunningDaemon::detach(const std::string& interface) {
  if (!backend_) return Error{noBackend()};
  auto detached = backend_->detach(interface);
  if (detached.ok()) spdlog::info("control: {}", detached.value());
  return detached;
}

std::string RunningDaemon::noBackend() const {
  if (config_.backend != config::Backend::kXdp) {
    return "this daemon runs the socket backend: attaching needs the xdp backend (start it with --backend xdp "
           "or --interface)";
  }
  return "UDP is off (--port 0): there is no AF_XDP datapath to attach";
}

DaemonStatus RunningDaemon::status() {
  const auto fields = statsByName(statsReply());
  DaemonStatus status;
  status.version = UNBUCKLE_VERSION;
  status.pid = getpid();
  status.uptime_seconds = number(fields, "uptime");
  status.backend = config_.backend == config::Backend::kXdp ? "xdp" : "socket";
  status.memory_limit = number(fields, "limit_maxbytes");
  status.memory_used = number(fields, "bytes");
  status.items = number(fields, "curr_items");
  if (fields.contains("kernel_cache_capacity")) {
    status.kernel_cache =
        KernelCacheFill{number(fields, "kernel_cache_entries"), number(fields, "kernel_cache_capacity")};
  }
  if (backend_) {
    for (const auto& interface : backend_->status()) status.interfaces.push_back(interfaceStatus(interface));
  }
  return status;
}

std::string RunningDaemon::stats(bool json) {
  const std::string reply = statsReply();
  if (json) return statsJson(reply) + "\n";
  std::string lines;
  size_t start = 0;
  while (start < reply.size()) {
    const size_t end = reply.find("\r\n", start);
    if (end == std::string::npos) break;
    if (reply.compare(start, 5, "STAT ") == 0) lines.append(reply, start, end - start).push_back('\n');
    start = end + 2;
  }
  return lines;
}

Result<std::string> RunningDaemon::setLogLevel(const std::string& level) {
  if (!config::isLogLevel(level)) {
    return Error{"no log level '" + level + "' (" + config::logLevelNames() + ")"};
  }
  const spdlog::level::level_enum was = spdlog::get_level();
  const spdlog::level::level_enum now = spdlog::level::from_str(level);
  spdlog::set_level(now);
  const std::string change = "log level " + level + ", was " + levelName(was);
  // At a level the new setting shows (nothing at off).
  if (now != spdlog::level::off) spdlog::log(std::max(now, spdlog::level::info), "control: {}", change);
  return change + "\n";
}

std::string RunningDaemon::allowList() {
  std::string lines;
  for (const config::Cidr& network : allow_.networks()) lines += network.toString() + "\n";
  return lines;
}

Result<std::string> RunningDaemon::setAllowList(const std::vector<config::Cidr>& networks) {
  auto replaced = allow_.replace(networks);
  if (!replaced.ok()) return replaced;
  spdlog::info("control: {}", replaced.value());
  return replaced.value() + "\n";
}

std::string RunningDaemon::statsReply() {
  StringSink sink;
  proto::Session session;
  engine_.process("stats\r\n", sink, session, worker_);
  return sink.text;
}

}  // namespace unbuckle::control
