// The control socket's wire protocol, shared by the daemon and unbucklectl.
//
// A Unix stream socket. The client sends one request per line, words
// separated by spaces, ending in "\n" ("\r\n" also accepted), at most
// kMaxRequestLine bytes:
//
//   attach IFACE [--queues N] [--xdp-mode auto|native|skb] [--zerocopy auto|on|off]
//   detach IFACE
//   status
//   stats [--json]
//   log-level trace|debug|info|warn|error|critical|off
//   allow [CIDR...]      (no CIDR: show the list; else replace it)
//
// The daemon answers each request, in order, with either
//
//   OK\n<body lines, each ending in \n>END\n     (the body may be empty)
//   ERROR <one-line message>\n
//
// A body line is never "END" alone. A connection may carry several
// requests; the daemon closes one that sends no complete request for
// kIdleTimeoutMs, a line longer than kMaxRequestLine (after an ERROR), and
// one from a peer without permission (after "ERROR permission denied...").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "control/daemon_control.h"
#include "result.h"

namespace unbuckle::control {

inline constexpr size_t kMaxRequestLine = 1024;
inline constexpr int kIdleTimeoutMs = 5000;

struct DetachRequest {
  std::string interface;
  bool operator==(const DetachRequest&) const = default;
};
struct StatusRequest {
  bool operator==(const StatusRequest&) const = default;
};
struct StatsRequest {
  bool json = false;
  bool operator==(const StatsRequest&) const = default;
};
struct LogLevelRequest {
  std::string level;
  bool operator==(const LogLevelRequest&) const = default;
};

struct AllowRequest {
  std::vector<config::Cidr> networks;   // empty: show the list
  bool operator==(const AllowRequest&) const = default;
};

using Request =
    std::variant<AttachRequest, DetachRequest, StatusRequest, StatsRequest, LogLevelRequest, AllowRequest>;

// One request line without its line end; an error names what is wrong
// ("unknown command 'stop'", "--queues needs a number from 1 to 1024").
Result<Request> parseRequest(std::string_view line);

// The request line unbucklectl sends, "\n" included.
std::string formatRequest(const Request& request);

std::string okReply(std::string_view body);   // body: lines ending in "\n", or empty
std::string errorReply(std::string_view message);

// A reply as the client reads it, from the bytes received so far.
struct Reply {
  enum class State { kIncomplete, kOk, kError, kMalformed };
  State state = State::kIncomplete;
  std::string text;        // the body (kOk) or the message (kError)
  size_t length = 0;       // bytes of the reply within what was received (kOk, kError)
};
Reply parseReply(std::string_view received);

}  // namespace unbuckle::control
