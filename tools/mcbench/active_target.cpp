#include "mcbench/active_target.h"

#include <fmt/format.h>

#include <stdexcept>

namespace unbuckle::mcbench {

void checkTargetsAllowed(const std::vector<TargetSpec>& targets) {
  for (const TargetSpec& spec : targets) {
    if (!spec.endpoint) continue;  // a memcached mcbench starts on 127.0.0.1
    const RouteVerdict verdict = checkTargetAllowed(spec.endpoint->address);
    if (!verdict.allowed) {
      const std::string address = spec.endpoint->str();
      const std::string label = spec.name == address ? address : fmt::format("{} ({})", spec.name, address);
      throw std::invalid_argument(
          fmt::format("refusing target {}: {}; only loopback and directly connected test interfaces are allowed", label,
                      verdict.reason));
    }
  }
}

ActiveTarget::ActiveTarget(const TargetSpec& spec, const MemcachedOptions& memcached, std::optional<pid_t> server_pid)
    : server_pid_(server_pid) {
  target_.name = spec.name;
  if (spec.endpoint) {
    target_.endpoint = *spec.endpoint;
    return;
  }
  memcached_ = MemcachedProcess::start(memcached);
  target_.endpoint = memcached_->endpoint();
  server_pid_ = memcached_->pid();
  fmt::print(stderr, "mcbench: started {} as {} (pid {}) on {}\n", memcached.binary, spec.name, memcached_->pid(),
             target_.endpoint.str());
}

}  // namespace unbuckle::mcbench
