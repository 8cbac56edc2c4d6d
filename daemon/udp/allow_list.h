// The --allow networks as the UDP datapaths read them: one list shared by
// every worker, replaced at run time (SIGHUP, `unbucklectl allow`) while they
// read it. A reader keeps the list it took until it sees the generation
// change, so checking a source costs one relaxed load when nothing changed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "config/cidr.h"

namespace unbuckle::udp {

class AllowList {
 public:
  using Networks = std::vector<config::Cidr>;

  explicit AllowList(Networks networks)
      : networks_(std::make_shared<const Networks>(std::move(networks))) {}
  AllowList(const AllowList&) = delete;
  AllowList& operator=(const AllowList&) = delete;

  // Counts the replacements; a reader compares it with the one it took.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // The list now and its generation.
  std::shared_ptr<const Networks> networks(uint64_t* generation = nullptr) const;

  void replace(Networks networks);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Networks> networks_;   // under mutex_
  std::atomic<uint64_t> generation_{0};
};

}  // namespace unbuckle::udp
