// Whether memcached's ASCII protocol can carry a key: 1 to 250 bytes, no
// space or control character. Checked before a request is sent, so that a
// bad key fails alone instead of breaking the line it would be sent on.
#pragma once

#include <string_view>

namespace unbuckle::client {

bool validKey(std::string_view key);
// Throws std::invalid_argument, naming the key, if it is not valid.
void checkKey(std::string_view key);

}  // namespace unbuckle::client
