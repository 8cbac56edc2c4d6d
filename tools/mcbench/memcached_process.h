// A memcached that mcbench starts for --start-memcached: Debian's
// /usr/bin/memcached on a free 127.0.0.1 port (TCP and UDP), killed by PID
// when this object goes away, on every path out of mcbench.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "mcbench/target.h"

namespace unbuckle::mcbench {

struct MemcachedOptions {
  std::string binary = "/usr/bin/memcached";
  uint32_t threads = 4;     // memcached -t
  uint32_t memory_mb = 64;  // memcached -m
};

class MemcachedProcess {
 public:
  // Starts memcached and waits until it answers TCP and UDP; throws
  // std::runtime_error with the reason.
  static std::unique_ptr<MemcachedProcess> start(const MemcachedOptions& options);

  // SIGTERM, SIGKILL after 2 s, and reaped.
  ~MemcachedProcess();
  MemcachedProcess(const MemcachedProcess&) = delete;
  MemcachedProcess& operator=(const MemcachedProcess&) = delete;

  pid_t pid() const { return pid_; }
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  MemcachedProcess(pid_t pid, const Endpoint& endpoint) : pid_(pid), endpoint_(endpoint) {}

  // Waits until memcached answers on TCP and UDP; the reason it did not otherwise.
  std::optional<std::string> waitUntilReady();

  pid_t pid_;
  Endpoint endpoint_;
  bool reaped_ = false;  // exited and reaped: its PID may belong to someone else now
};

}  // namespace unbuckle::mcbench
