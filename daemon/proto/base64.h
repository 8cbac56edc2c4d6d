// Base64 for meta commands' `b` flag, with the decoding rules of
// memcached's base64.c: characters outside the alphabet are skipped, the
// remaining ones must be a non-zero multiple of four, and decoding stops at
// the first block holding '=' padding (more than two '=' there is an error).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace unbuckle::proto {

// Decodes into `out` (room for in.size() bytes is enough); returns the
// decoded length, 0 on failure.
size_t base64Decode(std::string_view in, char* out);

// Appends the padded encoding of `in` to `out`.
void base64Encode(std::string_view in, std::string& out);

}  // namespace unbuckle::proto
