// The allow list's maps (include/unbuckle/bpf_abi.h): the LPM tries of
// --allow networks the XDP program looks a packet's source up in, created by
// the daemon before any program loads so that every interface's program
// shares them, with or without the kernel cache. replace() changes them while
// programs use them. The destructor closes them; the maps go when the last
// program using them does.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "config/cidr.h"
#include "result.h"
#include "xdp/allow_list_map_fds.h"

namespace unbuckle::xdp {

class AllowListMaps {
 public:
  // Tries holding every network of `allow` (at most UNBUCKLE_ALLOW_MAX of
  // each family).
  static Result<std::unique_ptr<AllowListMaps>> create(const std::vector<config::Cidr>& allow);
  ~AllowListMaps();
  AllowListMaps(const AllowListMaps&) = delete;
  AllowListMaps& operator=(const AllowListMaps&) = delete;

  // Makes the tries hold `allow`: the networks new to it are added first,
  // then those no longer in it deleted, so no lookup meanwhile finds the
  // list empty or admits a source neither list admits. On failure (a trie
  // full) the tries hold the old list again. Thread-safe.
  Result<bool> replace(const std::vector<config::Cidr>& allow);

  // What the loader reuses (xdp::AttachOptions::allow).
  AllowListMapFds fds() const { return {allow4_fd_, allow6_fd_}; }

 private:
  AllowListMaps() = default;
  Result<bool> add(const config::Cidr& network);
  void remove(const config::Cidr& network);

  int allow4_fd_ = -1;
  int allow6_fd_ = -1;
  std::mutex mutex_;   // one replace() at a time
  std::vector<config::Cidr> networks_;   // what the tries hold
};

}  // namespace unbuckle::xdp
