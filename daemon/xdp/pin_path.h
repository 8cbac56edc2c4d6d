// Where the maps are pinned (--pin-path) must be on a bpffs: checked before
// an interface is touched, so that a missing mount is refused with the fix
// rather than found after the program is attached.
#pragma once

#include <string>

#include "result.h"

namespace unbuckle::xdp {

// True when `pin_root`, or the nearest of its parents that exists (pinning
// creates the rest), is on a bpffs; otherwise why not and how to fix it.
Result<bool> checkPinRoot(const std::string& pin_root);

}  // namespace unbuckle::xdp
