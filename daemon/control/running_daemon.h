// DaemonControl over the daemon as daemon/main.cpp builds it: the AF_XDP
// backend (interfaces attached and detached at run time), the protocol
// engine's `stats`, spdlog's level and the allow list.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "afxdp/afxdp_backend.h"
#include "config/daemon_config.h"
#include "control/daemon_control.h"
#include "proto/engine.h"
#include "proto/stats.h"
#include "service/allow_list_keeper.h"

namespace unbuckle::control {

class RunningDaemon : public DaemonControl {
 public:
  // Every argument outlives the object; `backend` is null without AF_XDP
  // (socket backend, or UDP off).
  RunningDaemon(const config::DaemonConfig& config, proto::Engine& engine, proto::StatsRegistry& stats,
                afxdp::AfxdpBackend* backend, service::AllowListKeeper& allow);

  Result<std::string> attach(const AttachRequest& request) override;
  Result<std::string> detach(const std::string& interface) override;
  DaemonStatus status() override;
  std::string stats(bool json) override;
  Result<std::string> setLogLevel(const std::string& level) override;
  std::string allowList() override;
  Result<std::string> setAllowList(const std::vector<config::Cidr>& networks) override;

 private:
  // The engine's reply to memcached's `stats`, as a TCP client gets it.
  std::string statsReply();
  // Why attach and detach are refused without an AF_XDP backend.
  std::string noBackend() const;

  const config::DaemonConfig& config_;
  proto::Engine& engine_;
  afxdp::AfxdpBackend* backend_;
  service::AllowListKeeper& allow_;
  proto::WorkerStats& worker_;   // the control thread's block: `stats` itself counts nothing in it
};

}  // namespace unbuckle::control
