#include "xdp/pin_path.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace unbuckle::xdp {
namespace {

// The name of a file system type as `mount` shows it, for the common ones.
std::string fileSystemName(long type) {
  switch (type) {
    case SYSFS_MAGIC:
      return "sysfs";
    case TMPFS_MAGIC:
      return "tmpfs";
    case EXT4_SUPER_MAGIC:
      return "ext4";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    case XFS_SUPER_MAGIC:
      return "xfs";
    case OVERLAYFS_SUPER_MAGIC:
      return "overlay";
    default: {
      char hex[32];
      std::snprintf(hex, sizeof hex, "type 0x%lx", static_cast<unsigned long>(type));
      return hex;
    }
  }
}

}  // namespace

Result<bool> checkPinRoot(const std::string& pin_root) {
  std::filesystem::path existing = std::filesystem::path(pin_root).lexically_normal();
  std::error_code ec;
  while (!std::filesystem::exists(existing, ec) && existing.has_relative_path()) {
    existing = existing.parent_path();
  }
  if (existing.empty()) {
    existing = ".";
  }
  struct statfs fs {};
  if (statfs(existing.c_str(), &fs) != 0) {
    return systemError("--pin-path " + pin_root + ": cannot inspect " + existing.string(), errno);
  }
  if (fs.f_type == static_cast<decltype(fs.f_type)>(BPF_FS_MAGIC)) {
    return true;
  }
  return Error{"--pin-path " + pin_root + " is not on a bpffs (" + existing.string() + " is " +
               fileSystemName(static_cast<long>(fs.f_type)) +
               "): mount one (mount -t bpf bpf /sys/fs/bpf) or give --pin-path a directory on one"};
}

}  // namespace unbuckle::xdp
