#include "udp/allow_list.h"

namespace unbuckle::udp {

std::shared_ptr<const AllowList::Networks> AllowList::networks(uint64_t* generation) const {
  std::lock_guard lock(mutex_);
  if (generation) *generation = generation_.load(std::memory_order_relaxed);
  return networks_;
}

void AllowList::replace(Networks networks) {
  auto replacement = std::make_shared<const Networks>(std::move(networks));
  std::lock_guard lock(mutex_);
  networks_ = std::move(replacement);
  generation_.fetch_add(1, std::memory_order_release);
}

}  // namespace unbuckle::udp
