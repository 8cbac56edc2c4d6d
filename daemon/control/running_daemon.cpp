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

constexpr const char* kNotBuilt = "attach at run time is not built yet: give --interface at start-up";

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

InterfaceStatus interfaceStatus(const afxdp::InterfaceDatapath& datapath, const std::vector<uint32_t>& cpus) {
  InterfaceStatus status;
  status.interface = datapath.interface();
  status.driver = afxdp::driverName(datapath.interface());
  status.xdp_mode = std::string(datapath.attachment().modeName());
  // The datapath says its bind mode only in its start-up line.
  status.bind_mode = datapath.summary().find("AF_XDP zero-copy") != std::string::npos ? "zero-copy" : "copy";
  for (size_t i = 0; i < datapath.queues(); ++i) {
    const uint32_t queue = datapath.worker(i).queue();
    status.queues.push_back(queue);
    status.worker_cpus.push_back(cpus.empty() ? -1 : static_cast<int>(cpus[queue % cpus.size()]));
  }
  return status;
}

}  // namespace

RunningDaemon::RunningDaemon(const config::DaemonConfig& config, proto::Engine& engine, proto::StatsRegistry& stats,
                             const std::vector<std::unique_ptr<afxdp::InterfaceDatapath>>& datapaths)
    : config_(config), engine_(engine), datapaths_(datapaths), worker_(stats.addWorker()) {}

Result<std::string> RunningDaemon::attach(const AttachRequest&) { return Error{kNotBuilt}; }

Result<std::string> RunningDaemon::detach(const std::string&) {
  return Error{"detach at run time is not built yet: stop the daemon to detach its interfaces"};
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
  for (const auto& datapath : datapaths_) status.interfaces.push_back(interfaceStatus(*datapath, config_.cpus));
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

std::string RunningDaemon::statsReply() {
  StringSink sink;
  proto::Session session;
  engine_.process("stats\r\n", sink, session, worker_);
  return sink.text;
}

}  // namespace unbuckle::control
