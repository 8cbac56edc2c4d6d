// --allow for memcached UDP, shared by every datapath (udp/datagram_server.h):
// a request from any other source is dropped, counted in udp_dropped_denied
// and reported once per worker (a flood must not flood the log too). With
// XDP this is the second check: the program drops such packets first.
#pragma once

#include <cstdint>
#include <memory>

#include "proto/stats.h"
#include "udp/allow_list.h"
#include "udp/source_address.h"

namespace unbuckle::udp {

class SourceFilter {
 public:
  // `allow` must outlive the filter; its replacements take effect at the
  // next admits().
  SourceFilter(const AllowList& allow, proto::WorkerStats& stats) : allow_(allow), stats_(stats) {}

  bool admits(const SourceAddress& source);

 private:
  const AllowList& allow_;
  std::shared_ptr<const AllowList::Networks> networks_;   // the list of generation_
  uint64_t generation_ = 0;
  proto::WorkerStats& stats_;
  bool denied_logged_ = false;
};

}  // namespace unbuckle::udp
