#include "service/daemon_logger.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace unbuckle::service {

namespace {

std::string_view syslogPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical: return SD_CRIT;
    case spdlog::level::err: return SD_ERR;
    case spdlog::level::warn: return SD_WARNING;
    case spdlog::level::info: return SD_INFO;
    default: return SD_DEBUG;
  }
}

// %* in the pattern: "<N>", the line's syslog priority.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string_view priority = syslogPriority(msg.level);
    dest.append(priority.data(), priority.data() + priority.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriorityFlag>(); }
};

}  // namespace

bool stderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  return fstat(STDERR_FILENO, &st) == 0 && st.st_dev == device && st.st_ino == inode;
}

std::shared_ptr<spdlog::logger> makeDaemonLogger(bool journal) {
  auto logger = spdlog::stderr_color_mt("unbuckle-xdp");
  if (journal) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%l: %v");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$: %v");
  }
  return logger;
}

}  // namespace unbuckle::service
