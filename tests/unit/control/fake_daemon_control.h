// A DaemonControl that records what it was asked and answers from its fields.
#pragma once

#include <string>
#include <vector>

#include "control/daemon_control.h"

namespace unbuckle::control {

class FakeDaemonControl : public DaemonControl {
 public:
  Result<std::string> attach(const AttachRequest& request) override {
    attached.push_back(request);
    if (request.interface == "eth9") return Error{"no such interface eth9"};
    return std::string("attached " + request.interface + "\n");
  }
  Result<std::string> detach(const std::string& interface) override {
    return Error{interface + " is not attached"};
  }
  DaemonStatus status() override { return status_value; }
  std::string stats(bool json) override { return json ? "{\"pid\": 1}\n" : "STAT pid 1\n"; }
  Result<std::string> setLogLevel(const std::string& level) override {
    if (level != "debug") return Error{"no log level '" + level + "'"};
    return std::string("log level debug, was info\n");
  }

  std::string allowList() override { return allow_text; }
  Result<std::string> setAllowList(const std::vector<config::Cidr>& networks) override {
    allowed.push_back(networks);
    return std::string("allow list replaced\n");
  }

  std::vector<AttachRequest> attached;
  std::vector<std::vector<config::Cidr>> allowed;
  std::string allow_text = "10.0.0.0/8\n";
  DaemonStatus status_value;
};

}  // namespace unbuckle::control
