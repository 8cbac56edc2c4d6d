#include "xdp/interface_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace unbuckle::xdp {

Result<InterfaceLock> InterfaceLock::acquire(const std::string& interface, int ifindex) {
  // Interfaces of the same name live in other namespaces (containers,
  // tests): the namespace's inode tells them apart.
  struct stat netns {};
  if (stat("/proc/thread-self/ns/net", &netns) != 0) {
    return systemError("cannot lock " + interface + ": /proc/thread-self/ns/net", errno);
  }
  std::error_code ec;
  std::filesystem::create_directories(kDirectory, ec);
  const std::string path = std::string(kDirectory) + "/xdp-netns" + std::to_string(netns.st_ino) + "-if" +
                           std::to_string(ifindex) + ".lock";
  FileDescriptor fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return systemError("cannot lock " + interface + ": " + path, errno);
  }
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    const ssize_t n = pread(fd.get(), pid, sizeof(pid) - 1, 0);
    const std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "?";
    return Error{"cannot attach XDP to " + interface + ": another unbuckle-xdp (pid " + holder +
                 ") serves it; stop that one first"};
  }
  const std::string pid = std::to_string(getpid());
  if (ftruncate(fd.get(), 0) != 0 || pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
    return systemError("cannot lock " + interface + ": writing " + path, errno);
  }
  return InterfaceLock(std::move(fd));
}

}  // namespace unbuckle::xdp
