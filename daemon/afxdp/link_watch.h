// Watches one served interface through rtnetlink and says in the log what
// happens to it under the datapath, one line each: set down or carrier lost
// (memcached UDP through it stops; the program, sockets and frames stay, and
// serving resumes by itself when the link is back), up again, its MTU
// changed (a warning when a full reply datagram no longer fits), and the
// interface removed.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <memory>
#include <string>

#include "result.h"

namespace unbuckle::afxdp {

// The largest reply datagram the daemon sends, as the MTU counts it (IP and
// UDP headers, memcached frame header and payload): over IPv6 and IPv4.
uint32_t fullReplyIpv6Bytes();
uint32_t fullReplyIpv4Bytes();

// The warning for an MTU below fullReplyIpv6Bytes(), or nothing.
std::string smallMtuWarning(const std::string& interface, uint32_t mtu);

class LinkWatch {
 public:
  // Subscribes to the link changes of `interface` (index `ifindex`) in the
  // calling thread's network namespace; warns if it is down now or its MTU
  // is too small (smallMtuWarning()).
  static Result<std::unique_ptr<LinkWatch>> create(const std::string& interface, int ifindex);
  ~LinkWatch();
  LinkWatch(const LinkWatch&) = delete;
  LinkWatch& operator=(const LinkWatch&) = delete;

  // Logs the changes until `stop_fd` becomes readable.
  void run(int stop_fd);

 private:
  LinkWatch() = default;
  // One netlink message: acted on if it is a link change of our interface.
  void onMessage(const nlmsghdr& message);
  // One RTM_NEWLINK or RTM_DELLINK of our interface.
  void changed(uint16_t type, uint32_t flags, uint32_t mtu);

  int fd_ = -1;
  std::string interface_;
  int ifindex_ = 0;
  bool admin_up_ = false;   // IFF_UP
  bool carrier_ = false;    // IFF_RUNNING
  uint32_t mtu_ = 0;
  bool removed_ = false;
};

}  // namespace unbuckle::afxdp
