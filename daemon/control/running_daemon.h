// DaemonControl over the daemon as daemon/main.cpp builds it: the
// interfaces attached at start-up, the protocol engine's `stats` and
// spdlog's level. Attaching and detaching at run time is not built yet:
// both are refused with a message that says to use --interface.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "afxdp/interface_datapath.h"
#include "config/daemon_config.h"
#include "control/daemon_control.h"
#include "proto/engine.h"
#include "proto/stats.h"

namespace unbuckle::control {

class RunningDaemon : public DaemonControl {
 public:
  // Every argument outlives the object.
  RunningDaemon(const config::DaemonConfig& config, proto::Engine& engine, proto::StatsRegistry& stats,
                const std::vector<std::unique_ptr<afxdp::InterfaceDatapath>>& datapaths);

  Result<std::string> attach(const AttachRequest& request) override;
  Result<std::string> detach(const std::string& interface) override;
  DaemonStatus status() override;
  std::string stats(bool json) override;
  Result<std::string> setLogLevel(const std::string& level) override;

 private:
  // The engine's reply to memcached's `stats`, as a TCP client gets it.
  std::string statsReply();

  const config::DaemonConfig& config_;
  proto::Engine& engine_;
  const std::vector<std::unique_ptr<afxdp::InterfaceDatapath>>& datapaths_;
  proto::WorkerStats& worker_;   // the control thread's block: `stats` itself counts nothing in it
};

}  // namespace unbuckle::control
