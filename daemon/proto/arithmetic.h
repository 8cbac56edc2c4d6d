// incr/decr on a stored decimal (memcached's do_add_delta), shared by the
// classic commands and `ma`: incr wraps at 2^64, decr stops at 0; a result
// that fits the old length is written in place and space-padded (new cas),
// a longer one goes into a fresh item with the same flags and exptime.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/stats.h"
#include "store/store.h"

namespace unbuckle::proto {

enum class DeltaResult { kOk, kNonNumeric, kNoMemory, kNotFound, kCasMismatch };

struct DeltaOutcome {
  DeltaResult result = DeltaResult::kNotFound;
  std::array<char, 20> digits{};   // the new value, without padding
  size_t length = 0;
  std::string_view value() const { return {digits.data(), length}; }
};

// `cas` 0 means no compare. On kOk the key's live item is the updated one.
DeltaOutcome applyDelta(store::Access& a, WorkerStats& stats, bool incr, uint64_t delta,
                        uint64_t cas);

}  // namespace unbuckle::proto
