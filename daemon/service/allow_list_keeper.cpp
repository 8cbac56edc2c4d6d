#include "service/allow_list_keeper.h"

#include <spdlog/spdlog.h>

#include "udp/exposure_check.h"

namespace unbuckle::service {

std::string networksText(const std::vector<config::Cidr>& networks) {
  std::string text;
  for (const config::Cidr& network : networks) text += (text.empty() ? "" : " ") + network.toString();
  return text.empty() ? "nothing" : text;
}

Result<std::string> AllowListKeeper::replace(const std::vector<config::Cidr>& networks) {
  std::lock_guard lock(mutex_);
  const std::vector<config::Cidr> before = *list_->networks();
  if (networks == before) return "allow list unchanged: " + networksText(networks);
  if (maps_) {
    auto replaced = maps_->replace(networks);
    if (!replaced.ok()) return Error{replaced.error() + "; the allow list is unchanged"};
  }
  list_->replace(networks);
  for (const std::string& interface : interfaces_()) warnIfExposed(interface);
  return "allow list " + networksText(networks) + " (was " + networksText(before) + ")";
}

void AllowListKeeper::warnIfExposed(const std::string& interface) const {
  const std::string warning = udp::exposureWarning(interface, udp::interfaceAddresses(interface), *list_->networks());
  if (!warning.empty()) spdlog::warn(warning);
}

}  // namespace unbuckle::service
