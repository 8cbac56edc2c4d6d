#include "control/request_handler.h"

#include "control/control_protocol.h"
#include "control/status_text.h"

namespace unbuckle::control {
namespace {

std::string replyOf(Result<std::string> result) {
  return result.ok() ? okReply(result.value()) : errorReply(result.error());
}

}  // namespace

std::string answerRequest(std::string_view line, DaemonControl& control) {
  auto request = parseRequest(line);
  if (!request.ok()) return errorReply(request.error());
  struct Dispatch {
    DaemonControl& control;
    std::string operator()(const AttachRequest& r) const { return replyOf(control.attach(r)); }
    std::string operator()(const DetachRequest& r) const { return replyOf(control.detach(r.interface)); }
    std::string operator()(const StatusRequest&) const { return okReply(statusText(control.status())); }
    std::string operator()(const StatsRequest& r) const { return okReply(control.stats(r.json)); }
    std::string operator()(const LogLevelRequest& r) const { return replyOf(control.setLogLevel(r.level)); }
    std::string operator()(const AllowRequest& r) const {
      return r.networks.empty() ? okReply(control.allowList()) : replyOf(control.setAllowList(r.networks));
    }
  };
  return std::visit(Dispatch{control}, request.value());
}

}  // namespace unbuckle::control
