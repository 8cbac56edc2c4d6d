// 64-bit hash of a key. The store takes the shard from the top bits and the
// bucket from the bottom bits, so both ends must be well mixed.
#pragma once

#include <cstdint>
#include <string_view>

namespace unbuckle::store {

uint64_t hashKey(std::string_view key);

}  // namespace unbuckle::store
