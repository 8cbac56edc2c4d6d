#include "xdp/allow_list_maps.h"

#include <bpf/bpf.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <tuple>

#include "unbuckle/bpf_abi.h"

namespace unbuckle::xdp {
namespace {

static_assert(sizeof(unbuckle_allow4_key) == 8);
static_assert(sizeof(unbuckle_allow6_key) == 20);

// XDP only asks whether a source lies in a trie; the value says nothing.
using AllowValue = uint8_t;

template <typename Key>
Key keyOf(const config::Cidr& network) {
  Key key{network.prefixLength(), {}};
  std::memcpy(key.addr, network.address().data(), sizeof(key.addr));
  return key;
}

size_t countOf(const std::vector<config::Cidr>& allow, int family) {
  return static_cast<size_t>(
      std::ranges::count_if(allow, [family](const config::Cidr& network) { return network.family() == family; }));
}

bool contains(const std::vector<config::Cidr>& list, const config::Cidr& network) {
  return std::ranges::find(list, network) != list.end();
}

}  // namespace

Result<std::unique_ptr<AllowListMaps>> AllowListMaps::create(const std::vector<config::Cidr>& allow) {
  std::unique_ptr<AllowListMaps> self(new AllowListMaps);
  LIBBPF_OPTS(bpf_map_create_opts, options, .map_flags = BPF_F_NO_PREALLOC);
  for (auto [fd, name, key_size] : {std::tuple{&self->allow4_fd_, "unbuckle_allow4", sizeof(unbuckle_allow4_key)},
                                    std::tuple{&self->allow6_fd_, "unbuckle_allow6", sizeof(unbuckle_allow6_key)}}) {
    *fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name, static_cast<uint32_t>(key_size), sizeof(AllowValue),
                         UNBUCKLE_ALLOW_MAX, &options);
    if (*fd < 0) {
      const int err = errno;
      Error refused = systemError(std::string("cannot create the allow list's map ") + name, err);
      if (err == EPERM) refused.message += "; it needs CAP_BPF (run as root)";
      return refused;
    }
  }
  auto filled = self->replace(allow);
  if (!filled.ok()) return filled.failure();
  return self;
}

AllowListMaps::~AllowListMaps() {
  for (int fd : {allow4_fd_, allow6_fd_}) {
    if (fd >= 0) close(fd);
  }
}

Result<bool> AllowListMaps::add(const config::Cidr& network) {
  const AllowValue yes = 1;
  int err = 0;
  if (network.family() == AF_INET) {
    const auto key = keyOf<unbuckle_allow4_key>(network);
    err = bpf_map_update_elem(allow4_fd_, &key, &yes, BPF_ANY);
  } else {
    const auto key = keyOf<unbuckle_allow6_key>(network);
    err = bpf_map_update_elem(allow6_fd_, &key, &yes, BPF_ANY);
  }
  if (err) {
    const int why = errno;
    Error refused = systemError("cannot put " + network.toString() + " in the allow list's trie", why);
    if (why == ENOSPC) {
      refused.message += " (old and new lists together are more than " + std::to_string(UNBUCKLE_ALLOW_MAX) +
                         " networks of a family while they change: replace in two steps)";
    }
    return refused;
  }
  return true;
}

void AllowListMaps::remove(const config::Cidr& network) {
  if (network.family() == AF_INET) {
    const auto key = keyOf<unbuckle_allow4_key>(network);
    bpf_map_delete_elem(allow4_fd_, &key);
  } else {
    const auto key = keyOf<unbuckle_allow6_key>(network);
    bpf_map_delete_elem(allow6_fd_, &key);
  }
}

Result<bool> AllowListMaps::replace(const std::vector<config::Cidr>& allow) {
  for (const int family : {AF_INET, AF_INET6}) {
    if (countOf(allow, family) > UNBUCKLE_ALLOW_MAX) {
      return Error{"the allow list has " + std::to_string(countOf(allow, family)) + " " +
                   (family == AF_INET ? "IPv4" : "IPv6") + " networks; XDP takes at most " +
                   std::to_string(UNBUCKLE_ALLOW_MAX) + " of each family (merge them into wider prefixes)"};
    }
  }
  std::lock_guard lock(mutex_);
  std::vector<config::Cidr> added;
  for (const config::Cidr& network : allow) {
    if (contains(networks_, network) || contains(added, network)) continue;
    auto put = add(network);
    if (!put.ok()) {
      // Back to the old list: the old entries were never touched.
      for (const config::Cidr& undo : added) remove(undo);
      return put;
    }
    added.push_back(network);
  }
  for (const config::Cidr& network : networks_) {
    if (!contains(allow, network)) remove(network);
  }
  networks_ = allow;
  return true;
}

}  // namespace unbuckle::xdp
