// Opening the two kinds of client socket mcbench uses. Both throw
// std::runtime_error with the endpoint in the message.
#pragma once

#include <chrono>

#include "unbuckle/file_descriptor.h"
#include "mcbench/target.h"

namespace unbuckle::mcbench {

// A connected TCP socket with TCP_NODELAY, blocking, or non-blocking if asked.
FileDescriptor connectTcp(const Endpoint& endpoint, std::chrono::milliseconds timeout, bool non_blocking);

// A UDP socket connected to `endpoint` (so only its datagrams arrive), with
// a large receive buffer and blocking receives bounded by `receive_timeout`.
FileDescriptor connectUdp(const Endpoint& endpoint, std::chrono::microseconds receive_timeout);

}  // namespace unbuckle::mcbench
