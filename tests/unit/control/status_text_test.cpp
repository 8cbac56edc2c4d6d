#include "control/status_text.h"

#include <gtest/gtest.h>

namespace unbuckle::control {
namespace {

TEST(StatusTextTest, OneLinePerFactAndPerQueue) {
  DaemonStatus status;
  status.version = "0.1.0";
  status.pid = 4242;
  status.uptime_seconds = 75;
  status.backend = "xdp";
  status.memory_limit = 67108864;
  status.memory_used = 1056;
  status.items = 10;
  status.kernel_cache = KernelCacheFill{8, 65536};
  status.interfaces.push_back({"ubx0", "veth", "native", "copy", {0, 1}, {1, -1}});
  EXPECT_EQ(statusText(status),
            "version: 0.1.0\n"
            "pid: 4242\n"
            "uptime: 75 s\n"
            "backend: xdp\n"
            "memory: 1056 of 67108864 bytes used\n"
            "items: 10\n"
            "kernel cache: 8 of 65536 entries\n"
            "interfaces: 1\n"
            "interface ubx0: driver veth, XDP native, AF_XDP copy, 2 queues\n"
            "  queue 0: worker on CPU 1\n"
            "  queue 1: worker not run yet\n");
}

TEST(StatusTextTest, WithoutKernelCacheOrInterfaces) {
  DaemonStatus status;
  status.backend = "socket";
  const std::string text = statusText(status);
  EXPECT_NE(text.find("kernel cache: off\n"), std::string::npos) << text;
  EXPECT_NE(text.find("interfaces: 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("interface "), std::string::npos) << text;
}

}  // namespace
}  // namespace unbuckle::control
