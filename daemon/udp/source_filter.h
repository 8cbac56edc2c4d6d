// --allow for memcached UDP, shared by every datapath (udp/datagram_server.h):
// a request from any other source is dropped, counted in udp_dropped_denied
// and reported once per worker (a flood must not flood the log too).
#pragma once

#include <vector>

#include "config/cidr.h"
#include "proto/stats.h"
#include "udp/source_address.h"

namespace unbuckle::udp {

class SourceFilter {
 public:
  // `allow` must outlive the filter.
  SourceFilter(const std::vector<config::Cidr>& allow, proto::WorkerStats& stats)
      : allow_(allow), stats_(stats) {}

  bool admits(const SourceAddress& source);

 private:
  const std::vector<config::Cidr>& allow_;
  proto::WorkerStats& stats_;
  bool denied_logged_ = false;
};

}  // namespace unbuckle::udp
