// --pause-idle: in a --compare run, every server but the one being measured
// is stopped (SIGSTOP). A server that spins on its core (--busy-poll) would
// otherwise take that core from the others, so that a spinning server can be
// measured in the same alternating rounds as the rest.
#pragma once

#include <sys/types.h>

#include <vector>

namespace unbuckle::mcbench {

class ServerPause {
 public:
  // Stops every one of servers; throws std::runtime_error naming a server
  // that cannot be signalled (gone, or not ours to stop).
  explicit ServerPause(std::vector<pid_t> servers);
  // Continues them all, so that no exit path leaves a server stopped.
  ~ServerPause();
  ServerPause(const ServerPause&) = delete;
  ServerPause& operator=(const ServerPause&) = delete;

  // Continues measured and stops every other server.
  void measure(pid_t measured);

 private:
  std::vector<pid_t> servers_;
};

}  // namespace unbuckle::mcbench
