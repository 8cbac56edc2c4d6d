#include "proto/exptime.h"

namespace unbuckle::proto {

store::RelTime realtime(int64_t exptime, const store::Clock& clock) {
  if (exptime == 0) return 0;
  if (exptime > kMaxRelativeExptime) {
    const int64_t started = clock.processStarted();
    // 0 would mean "never"; 1 is the earliest time that is already past.
    if (exptime <= started) return 1;
    return static_cast<store::RelTime>(exptime - started);
  }
  return static_cast<store::RelTime>(exptime + clock.now());
}

store::RelTime exptimeToRelTime(int32_t exptime, const store::Clock& clock) {
  return realtime(exptime < 0 ? kMaxRelativeExptime + 1 : exptime, clock);
}

}  // namespace unbuckle::proto
