// A target made ready for its run: the endpoint to load, the server PID to
// sample, and the memcached mcbench started for it (killed with this object).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <vector>

#include "mcbench/memcached_process.h"
#include "mcbench/options.h"
#include "mcbench/target.h"

namespace unbuckle::mcbench {

// Throws std::invalid_argument with a one-line refusal for the first
// --target that the safety rule (target.h) does not allow.
void checkTargetsAllowed(const std::vector<TargetSpec>& targets);

class ActiveTarget {
 public:
  // Starts memcached for a --start-memcached spec; throws std::runtime_error.
  ActiveTarget(const TargetSpec& spec, const MemcachedOptions& memcached, std::optional<pid_t> server_pid);

  const Target& target() const { return target_; }
  std::optional<pid_t> serverPid() const { return server_pid_; }

 private:
  Target target_;
  std::unique_ptr<MemcachedProcess> memcached_;
  std::optional<pid_t> server_pid_;
};

}  // namespace unbuckle::mcbench
