// The daemon's allow list while it serves: the list the UDP workers check
// (udp/allow_list.h) and, with XDP, the tries every attached program checks
// first (xdp/allow_list_maps.h). replace() changes both, XDP first, for
// SIGHUP and `unbucklectl allow`; warnIfExposed() logs the warning of
// udp/exposure_check.h for an interface.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/cidr.h"
#include "result.h"
#include "udp/allow_list.h"
#include "xdp/allow_list_maps.h"

namespace unbuckle::service {

class AllowListKeeper {
 public:
  // `maps` null: no XDP (socket backend). `interfaces` names the attached
  // interfaces, to warn about after a change. Both outlive the keeper.
  AllowListKeeper(std::shared_ptr<udp::AllowList> list, xdp::AllowListMaps* maps,
                  std::function<std::vector<std::string>()> interfaces)
      : list_(std::move(list)), maps_(maps), interfaces_(std::move(interfaces)) {}

  std::vector<config::Cidr> networks() const { return *list_->networks(); }
  // Makes `networks` the allow list; the text says the change. On error the
  // old list is still in effect everywhere.
  Result<std::string> replace(const std::vector<config::Cidr>& networks);
  void warnIfExposed(const std::string& interface) const;

 private:
  std::shared_ptr<udp::AllowList> list_;
  xdp::AllowListMaps* maps_;
  std::function<std::vector<std::string>()> interfaces_;
  std::mutex mutex_;   // one replace() at a time
};

// "10.0.0.0/8 fd00::/8" (or "nothing").
std::string networksText(const std::vector<config::Cidr>& networks);

}  // namespace unbuckle::service
