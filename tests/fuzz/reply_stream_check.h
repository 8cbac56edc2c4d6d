// What a memcached text-protocol client can rely on in a reply stream: it
// is a sequence of lines ending in "\r\n" (metadump's "key=" lines end in
// "\n", as memcached's do), and a line announcing a value
// ("VALUE <key> <flags> <bytes> [<cas>]" or "VA <bytes> <flags>*") is
// followed by exactly <bytes> of data and "\r\n".
#pragma once

#include <string>
#include <string_view>

namespace unbuckle::fuzz {

// Empty when `replies` is well formed (and complete), else what is wrong.
std::string replyStreamError(std::string_view replies);

}  // namespace unbuckle::fuzz
