// Ctrl-C and SIGTERM ask mcbench to stop. Loops poll stopRequested() and
// unwind normally, so a memcached that mcbench started is always killed; a
// second Ctrl-C kills mcbench at once (the started memcached then dies by
// PR_SET_PDEATHSIG).
#pragma once

namespace unbuckle::mcbench {

void installStopHandlers();
bool stopRequested();

}  // namespace unbuckle::mcbench
