#include "afxdp/link_watch.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "unbuckle/mc_udp.h"

namespace unbuckle::afxdp {
namespace {

constexpr uint32_t kIpv4Header = 20;
constexpr uint32_t kIpv6Header = 40;
constexpr uint32_t kUdpHeader = 8;

// The flags and MTU of `interface` now, through an ioctl socket.
bool readLink(const std::string& interface, uint32_t& flags, uint32_t& mtu) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, interface.c_str(), IFNAMSIZ - 1);
  bool ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  flags = static_cast<uint16_t>(ifr.ifr_flags);
  ok = ok && ioctl(fd, SIOCGIFMTU, &ifr) == 0;
  mtu = static_cast<uint32_t>(ifr.ifr_mtu);
  close(fd);
  return ok;
}

}  // namespace

uint32_t fullReplyIpv6Bytes() { return kIpv6Header + kUdpHeader + MC_UDP_MAX_PAYLOAD; }
uint32_t fullReplyIpv4Bytes() { return kIpv4Header + kUdpHeader + MC_UDP_MAX_PAYLOAD; }

std::string smallMtuWarning(const std::string& interface, uint32_t mtu) {
  if (mtu >= fullReplyIpv6Bytes()) {
    return {};
  }
  return interface + ": MTU " + std::to_string(mtu) + " is below the " + std::to_string(fullReplyIpv6Bytes()) +
         " bytes of a full reply datagram (" + std::to_string(fullReplyIpv4Bytes()) +
         " over IPv4), which AF_XDP sends unfragmented: a link that enforces it drops them; raise it (ip link "
         "set " + interface + " mtu 1500)";
}

Result<std::unique_ptr<LinkWatch>> LinkWatch::create(const std::string& interface, int ifindex) {
  std::unique_ptr<LinkWatch> self(new LinkWatch);
  self->interface_ = interface;
  self->ifindex_ = ifindex;
  self->fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = RTMGRP_LINK;
  if (self->fd_ < 0 || bind(self->fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return systemError("cannot watch the link state of " + interface + " (rtnetlink)", errno);
  }
  uint32_t flags = 0;
  if (!readLink(interface, flags, self->mtu_)) {
    return systemError("cannot read the flags and MTU of " + interface, errno);
  }
  self->admin_up_ = (flags & IFF_UP) != 0;
  self->carrier_ = (flags & IFF_RUNNING) != 0;
  if (!self->admin_up_) {
    spdlog::warn("{} is down: memcached UDP through it waits until it is up (ip link set {} up)", interface,
                 interface);
  } else if (!self->carrier_) {
    spdlog::warn("{} has no carrier: memcached UDP through it waits until the link comes up (check the cable, or "
                 "the peer of a veth)",
                 interface);
  }
  if (const std::string warning = smallMtuWarning(interface, self->mtu_); !warning.empty()) {
    spdlog::warn(warning);
  }
  return self;
}

LinkWatch::~LinkWatch() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

void LinkWatch::run(int stop_fd) {
  alignas(nlmsghdr) std::array<char, 16384> buffer;
  pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      spdlog::error("{}: link changes are no longer watched: poll: {}", interface_, std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) {
      return;
    }
    ssize_t length = 0;
    while ((length = recv(fd_, buffer.data(), buffer.size(), 0)) > 0) {
      // NLMSG_OK and NLMSG_NEXT's walk, in sizes: the macros compare an int
      // length with the __u32 nlmsg_len, which clang's -Wsign-compare flags.
      const size_t received = static_cast<size_t>(length);
      size_t offset = 0;
      while (offset + sizeof(nlmsghdr) <= received) {
        const auto* message = reinterpret_cast<const nlmsghdr*>(buffer.data() + offset);
        if (message->nlmsg_len < sizeof(nlmsghdr) || message->nlmsg_len > received - offset) {
          break;
        }
        onMessage(*message);
        offset += NLMSG_ALIGN(message->nlmsg_len);
      }
    }
    if (length < 0 && errno == ENOBUFS) {
      spdlog::warn("{}: link changes came faster than they were read; some were not logged", interface_);
    }
  }
}

void LinkWatch::onMessage(const nlmsghdr& message) {
  if (message.nlmsg_type != RTM_NEWLINK && message.nlmsg_type != RTM_DELLINK) {
    return;
  }
  const auto* info = static_cast<const ifinfomsg*>(NLMSG_DATA(&message));
  if (info->ifi_index != ifindex_) {
    return;
  }
  uint32_t mtu = mtu_;
  int attributes_length = static_cast<int>(IFLA_PAYLOAD(&message));
  for (const rtattr* attribute = IFLA_RTA(info); RTA_OK(attribute, attributes_length);
       attribute = RTA_NEXT(attribute, attributes_length)) {
    if (attribute->rta_type == IFLA_MTU && RTA_PAYLOAD(attribute) >= sizeof(uint32_t)) {
      std::memcpy(&mtu, RTA_DATA(attribute), sizeof mtu);
    }
  }
  changed(message.nlmsg_type, info->ifi_flags, mtu);
}

void LinkWatch::changed(uint16_t type, uint32_t flags, uint32_t mtu) {
  if (removed_) {
    return;
  }
  if (type == RTM_DELLINK) {
    removed_ = true;
    spdlog::error("{}: the interface was removed: its AF_XDP datapath serves nothing more; detach it (unbucklectl "
                  "detach {}) and attach it again once it is back",
                  interface_, interface_);
    return;
  }
  const bool admin_up = (flags & IFF_UP) != 0;
  const bool carrier = (flags & IFF_RUNNING) != 0;
  const bool was_serving = admin_up_ && carrier_;
  if (admin_up_ && !admin_up) {
    spdlog::warn("{}: set down: memcached UDP through it stops until it is up again (ip link set {} up); its "
                 "program, sockets and frames stay, and TCP and other interfaces go on",
                 interface_, interface_);
  } else if (was_serving && admin_up && !carrier) {
    spdlog::warn("{}: carrier lost: memcached UDP through it stops until the link returns (check the cable, "
                 "or the peer of a veth)",
                 interface_);
  }
  if (!was_serving && admin_up && carrier) {
    spdlog::info("{}: link up again: serving memcached UDP through AF_XDP", interface_);
  }
  admin_up_ = admin_up;
  carrier_ = carrier;
  if (mtu != mtu_) {
    const std::string warning = smallMtuWarning(interface_, mtu);
    if (warning.empty()) {
      spdlog::info("{}: MTU {} -> {}", interface_, mtu_, mtu);
    } else {
      spdlog::warn("{}: MTU {} -> {}; {}", interface_, mtu_, mtu, warning.substr(interface_.size() + 2));
    }
    mtu_ = mtu;
  }
}

}  // namespace unbuckle::afxdp
