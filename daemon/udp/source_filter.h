// --allow for memcached UDP, shared by the socket and AF_XDP datapaths: a
// request from any other source is dropped, counted in udp_dropped_denied
// and reported once per worker (a flood must not flood the log too).
#pragma once

#include <sys/socket.h>

#include <vector>

#include "config/cidr.h"
#include "proto/stats.h"

namespace unbuckle::udp {

class SourceFilter {
 public:
  // `allow` must outlive the filter.
  SourceFilter(const std::vector<config::Cidr>& allow, proto::WorkerStats& stats)
      : allow_(allow), stats_(stats) {}

  bool admits(const sockaddr* source);

 private:
  const std::vector<config::Cidr>& allow_;
  proto::WorkerStats& stats_;
  bool denied_logged_ = false;
};

}  // namespace unbuckle::udp
