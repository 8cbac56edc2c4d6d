// `stats --json`: memcached's `stats` reply ("STAT name value" lines, then
// "END") as one JSON object in the same order. Values that are integers
// are JSON numbers; every other value (version, rusage_user "0.012000")
// is a string, so that nothing is reformatted.
#pragma once

#include <string>
#include <string_view>

namespace unbuckle::control {

std::string statsJson(std::string_view stats_reply);

}  // namespace unbuckle::control
