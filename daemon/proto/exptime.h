// Protocol exptimes to the store's relative seconds, as memcached's
// realtime() and EXPTIME_TO_POSITIVE_TIME: 0 is never; up to 30 days is
// relative to now; more is a unix time (at or before the process start it
// becomes 1, i.e. already expired); a negative exptime expires at once.
#pragma once

#include <cstdint>

#include "store/clock.h"

namespace unbuckle::proto {

// memcached's REALTIME_MAXDELTA: 30 days.
inline constexpr int64_t kMaxRelativeExptime = 60 * 60 * 24 * 30;

// realtime(): a non-negative protocol time to store time.
store::RelTime realtime(int64_t exptime, const store::Clock& clock);

// realtime(EXPTIME_TO_POSITIVE_TIME(exptime)): what every exptime argument
// (set, touch, gat, meta T/N/R) goes through.
store::RelTime exptimeToRelTime(int32_t exptime, const store::Clock& clock);

}  // namespace unbuckle::proto
