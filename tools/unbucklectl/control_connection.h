// unbucklectl's side of the control socket: connects, sends one request
// line, reads the reply (daemon/control/control_protocol.h). Failures carry
// a one-line message that names the cause and the fix.
#pragma once

#include <string>

#include "control/control_protocol.h"
#include "result.h"

namespace unbuckle::ctl {

// How long the daemon may take to answer (an attach binds every queue).
inline constexpr int kReplyTimeoutSeconds = 30;

// The daemon's reply (kOk or kError), or why none came.
Result<control::Reply> exchange(const std::string& socket_path, const std::string& request_line);

}  // namespace unbuckle::ctl
