// MD5 (RFC 1321), the digest ketama hashes server points and keys with.
// Placement only: MD5 is not used here for anything that needs security.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace unbuckle::client {

using Md5Digest = std::array<uint8_t, 16>;

Md5Digest md5(std::string_view data);

// The x-th (0..3) 32-bit little-endian word of a digest: how libmemcached
// and twemproxy turn a digest into ring positions.
uint32_t md5Word(const Md5Digest& digest, unsigned x);

}  // namespace unbuckle::client
