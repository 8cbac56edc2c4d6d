#include "control/peer_access.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace unbuckle::control {

std::optional<Peer> peerOf(int fd) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return std::nullopt;
  Peer peer{credentials.pid, credentials.uid, credentials.gid, {}};
  // The kernel says how much room the list needs when given too little.
  peer.groups.resize(64);
  length = static_cast<socklen_t>(peer.groups.size() * sizeof(gid_t));
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, peer.groups.data(), &length) != 0) {
    if (errno != ERANGE) return std::nullopt;
    peer.groups.resize(length / sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, peer.groups.data(), &length) != 0) return std::nullopt;
  }
  peer.groups.resize(length / sizeof(gid_t));
  return peer;
}

bool mayControl(const Peer& peer, uid_t daemon_uid, gid_t control_group) {
  return peer.uid == 0 || peer.uid == daemon_uid || peer.gid == control_group ||
         std::find(peer.groups.begin(), peer.groups.end(), control_group) != peer.groups.end();
}

}  // namespace unbuckle::control
