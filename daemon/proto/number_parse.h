// Numbers in commands, parsed exactly as memcached 1.6.18's safe_strto*()
// (util.c) on LP64: strtoull/strtol rules (leading whitespace and a sign are
// accepted), then the number must end the text or be followed by whitespace.
// The narrow variants parse 64 bits and truncate, which is where memcached's
// "flags modulo 2^32" and "datalen wraps at 2^32" quirks come from.
#pragma once

#include <cstdint>
#include <string_view>

namespace unbuckle::proto {

// safe_strtoull: a value that is negative as int64 is refused if the text
// holds a '-'.
bool parseU64(std::string_view text, uint64_t& out);
// safe_strtoul: as parseU64, then truncated to 32 bits.
bool parseU32(std::string_view text, uint32_t& out);
// safe_strtol: a signed 64-bit strtol, then truncated to 32 bits.
bool parseI32(std::string_view text, int32_t& out);

}  // namespace unbuckle::proto
