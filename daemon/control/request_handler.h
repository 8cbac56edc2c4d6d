// Turns one request line into the reply the control socket sends
// (control_protocol.h), asking `control` for the answer.
#pragma once

#include <string>
#include <string_view>

#include "control/daemon_control.h"

namespace unbuckle::control {

std::string answerRequest(std::string_view line, DaemonControl& control);

}  // namespace unbuckle::control
