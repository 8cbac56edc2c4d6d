// Parses the daemon's flags and its config file (every flag is also a key)
// into a validated DaemonConfig.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/daemon_config.h"
#include "result.h"

namespace unbuckle::config {

// What valid flags ask for: the daemon to run with `config`, or only `text`
// printed (--help, --version).
struct CommandLine {
  std::optional<DaemonConfig> config;
  std::string text;
};

// The flags, or the one-line reason they are refused (the daemon exits 1).
// `default_config_path` is read when it exists and --config is not given.
Result<CommandLine> parseCommandLine(int argc, const char* const* argv,
                                     const std::string& default_config_path = kDefaultConfigPath);

// Whether `level` is a --log-level value (spdlog's level names).
bool isLogLevel(const std::string& level);

// The log levels, "trace, debug, ..., off".
std::string logLevelNames();

// "1m" -> 1048576, "512k", "2048": memcached -I's units (k, m; also g).
std::optional<size_t> parseByteSize(const std::string& text);

// "0,2-3" -> {0, 2, 3}: a CPU list as taskset and /sys write them.
std::optional<std::vector<uint32_t>> parseCpuList(const std::string& text);

}  // namespace unbuckle::config
