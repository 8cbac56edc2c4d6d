// SIGHUP: reads the flags and the config file again and applies what can
// change while serving (the log level, the allow list, and the interface
// list where a hook attaches and detaches at run time). Every other setting that changed is
// named in one log line each: it takes effect at the next start. A config
// file that no longer parses changes nothing.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/command_line.h"
#include "config/daemon_config.h"

namespace unbuckle::service {

class ConfigReload {
 public:
  // argv as main() got it: flags still win over the file, as at start-up.
  ConfigReload(int argc, const char* const* argv, config::DaemonConfig running)
      : argc_(argc), argv_(argv), running_(std::move(running)) {}

  // Applies a changed `interface` list: detaches what left it and attaches
  // what joined it. Unset (no AF_XDP backend), a change needs a restart.
  using InterfaceChange =
      std::function<void(const std::vector<std::string>& before, const std::vector<std::string>& after)>;
  void setInterfaceChange(InterfaceChange apply) { apply_interfaces_ = std::move(apply); }
  // Makes the allow list the one read (whether or not it changed in the
  // file: `unbucklectl allow` may have changed it since).
  using AllowChange = std::function<void(const std::vector<config::Cidr>& allow)>;
  void setAllowChange(AllowChange apply) { apply_allow_ = std::move(apply); }

  void reload();

 private:
  int argc_;
  const char* const* argv_;
  config::DaemonConfig running_;  // the settings in effect
  InterfaceChange apply_interfaces_;
  AllowChange apply_allow_;
};

}  // namespace unbuckle::service
