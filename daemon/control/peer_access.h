// Who may use the control socket: root, the daemon's own user and the
// members of the control group (as their primary or a supplementary group).
// The kernel vouches for the peer: SO_PEERCRED and SO_PEERGROUPS give the
// credentials it had when it connected.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

namespace unbuckle::control {

struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;   // supplementary groups
};

// The credentials of the process at the other end of a connected Unix
// socket; nullopt when the kernel does not say.
std::optional<Peer> peerOf(int fd);

bool mayControl(const Peer& peer, uid_t daemon_uid, gid_t control_group);

}  // namespace unbuckle::control
