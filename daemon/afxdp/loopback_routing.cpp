#include "afxdp/loopback_routing.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace unbuckle::afxdp {
namespace {

constexpr const char* kRouteLocalnet = "/proc/sys/net/ipv4/conf/lo/route_localnet";
constexpr const char* kAcceptLocal = "/proc/sys/net/ipv4/conf/lo/accept_local";

std::string readValue(const char* path) {
  std::ifstream in(path);
  std::string value;
  in >> value;
  return value;
}

bool writeValue(const char* path, const std::string& value) {
  std::ofstream out(path);
  out << value << '\n';
  out.close();
  return static_cast<bool>(out);
}

}  // namespace

Result<std::unique_ptr<LoopbackRouting>> LoopbackRouting::enable() {
  std::unique_ptr<LoopbackRouting> self(new LoopbackRouting);
  self->route_localnet_ = readValue(kRouteLocalnet);
  self->accept_local_ = readValue(kAcceptLocal);
  if (self->route_localnet_.empty() || self->accept_local_.empty()) {
    return Error{std::string("cannot read ") + kRouteLocalnet + " and " + kAcceptLocal};
  }
  if (self->route_localnet_ == "1" && self->accept_local_ == "1") {
    return self;
  }
  if (!writeValue(kRouteLocalnet, "1") || !writeValue(kAcceptLocal, "1")) {
    const int err = errno;
    writeValue(kRouteLocalnet, self->route_localnet_);
    return Error{std::string("cannot set net.ipv4.conf.lo.route_localnet and accept_local to 1 (") +
                     std::strerror(err) + "): AF_XDP replies on lo would be dropped as martians",
                 err};
  }
  spdlog::info(
      "lo: set net.ipv4.conf.lo.route_localnet=1 and accept_local=1 (were {} and {}) so that "
      "replies sent from AF_XDP on lo are delivered; restored at exit",
      self->route_localnet_, self->accept_local_);
  return self;
}

LoopbackRouting::~LoopbackRouting() {
  if (route_localnet_ == "1" && accept_local_ == "1") {
    return;
  }
  if (!writeValue(kRouteLocalnet, route_localnet_) || !writeValue(kAcceptLocal, accept_local_)) {
    spdlog::warn("lo: cannot restore net.ipv4.conf.lo.route_localnet={} and accept_local={}",
                 route_localnet_, accept_local_);
  }
}

}  // namespace unbuckle::afxdp
