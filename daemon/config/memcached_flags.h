// memcached's own command-line flags (memcached 1.6.18's -h), for an
// operator who brings a memcached command line: each flag that is not this
// daemon's says which flag to use here, or that the feature is not built.
// The long names this daemon shares with memcached (--memory-limit,
// --threads, ...) are its own flags and are not listed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace unbuckle::config {

// The one-line refusal for `argument` when it is one of memcached's flags
// that this daemon does not take (`-m`, `-m64`, `-vv`, `--conn-limit=10`),
// else nullopt.
std::optional<std::string> memcachedFlagRefusal(std::string_view argument);

}  // namespace unbuckle::config
