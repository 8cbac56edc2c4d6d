#include "afxdp/interface_info.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace unbuckle::afxdp {
namespace {

// One SIOCETHTOOL request on `interface`; false when the driver lacks it.
bool ethtool(const std::string& interface, void* request) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, interface.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = static_cast<char*>(request);
  const bool ok = ioctl(fd, SIOCETHTOOL, &ifr) == 0;
  close(fd);
  return ok;
}

}  // namespace

uint32_t rxQueueCount(const std::string& interface) {
  ethtool_channels channels{};
  channels.cmd = ETHTOOL_GCHANNELS;
  if (ethtool(interface, &channels) && channels.combined_count + channels.rx_count > 0) {
    return channels.combined_count + channels.rx_count;
  }
  uint32_t count = 0;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/sys/class/net/" + interface + "/queues", ec)) {
    if (entry.path().filename().string().starts_with("rx-")) {
      ++count;
    }
  }
  return count > 0 ? count : 1;
}

std::string driverName(const std::string& interface) {
  if (interface == "lo") {
    return "loopback";
  }
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  if (ethtool(interface, &info) && info.driver[0] != '\0') {
    return std::string(info.driver, strnlen(info.driver, sizeof info.driver));
  }
  return "unknown";
}

}  // namespace unbuckle::afxdp
