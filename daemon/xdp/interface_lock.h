// One daemon per interface. The lock is an flock() on a file named after
// the network namespace and the interface index, held for the daemon's
// life: a second daemon on the same interface is refused, while the
// program of one that crashed (kill -9 drops its flock) can be replaced.
#pragma once

#include <string>

#include "result.h"
#include "unbuckle/file_descriptor.h"

namespace unbuckle::xdp {

class InterfaceLock {
 public:
  static constexpr const char* kDirectory = "/run/unbuckle-xdp";

  // Takes the lock of `interface` (index `ifindex`) in this thread's
  // network namespace, or says which process holds it.
  static Result<InterfaceLock> acquire(const std::string& interface, int ifindex);

 private:
  explicit InterfaceLock(FileDescriptor fd) : fd_(std::move(fd)) {}
  FileDescriptor fd_;
};

}  // namespace unbuckle::xdp
