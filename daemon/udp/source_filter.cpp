#include "udp/source_filter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <string>

namespace unbuckle::udp {

namespace {

std::string hostOf(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace

bool SourceFilter::admits(const sockaddr* source) {
  if (!networks_ || allow_.generation() != generation_) networks_ = allow_.networks(&generation_);
  for (const config::Cidr& cidr : *networks_) {
    if (cidr.contains(source)) {
      return true;
    }
  }
  proto::bump(stats_.udp_dropped_denied);
  if (!denied_logged_) {
    denied_logged_ = true;
    spdlog::warn("UDP request from {} dropped: not in --allow (reported once per worker)", hostOf(source));
  }
  return false;
}

}  // namespace unbuckle::udp
