#include "udp/source_filter.h"

#include <spdlog/spdlog.h>

namespace unbuckle::udp {

bool SourceFilter::admits(const SourceAddress& source) {
  if (!networks_ || allow_.generation() != generation_) networks_ = allow_.networks(&generation_);
  for (const config::Cidr& cidr : *networks_) {
    if (cidr.contains(source.family, source.bytes.data())) {
      return true;
    }
  }
  proto::bump(stats_.udp_dropped_denied);
  if (!denied_logged_) {
    denied_logged_ = true;
    spdlog::warn("UDP request from {} dropped: not in --allow (reported once per worker)", source.toString());
  }
  return false;
}

}  // namespace unbuckle::udp
