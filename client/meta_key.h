// The key a meta command names (mg, ms, md, ma), which places the command on
// a server of a pool.
#pragma once

#include <string_view>

namespace unbuckle::client {

// The second word of "mg foo v", "ms foo 3 T60", "md foo"... Throws
// std::invalid_argument for a command that names no key ("mn", or nothing
// after the command's name), and for a base64 key (flag b): the pool would
// place it by its encoded text, not by the key that other clients hash.
std::string_view metaKey(std::string_view command);

}  // namespace unbuckle::client
