// The allow list's tries as the loader reuses them: made once by the daemon
// (allow_list_maps.h) and shared by the program of every attached interface.
#pragma once

namespace unbuckle::xdp {

struct AllowListMapFds {
  int allow4 = -1;
  int allow6 = -1;
};

}  // namespace unbuckle::xdp
