// What the kernel says about a network interface that the AF_XDP datapath
// needs: how many RX queues it has and which driver runs it.
#pragma once

#include <cstdint>
#include <string>

namespace unbuckle::afxdp {

// RX queues in use (ethtool channels: combined + rx-only; without ethtool
// support, /sys/class/net/IFACE/queues/rx-*); at least 1.
uint32_t rxQueueCount(const std::string& interface);

// The driver's name from ethtool ("veth", "mlx5_core"), "loopback" for lo,
// "unknown" when the driver does not say.
std::string driverName(const std::string& interface);

}  // namespace unbuckle::afxdp
