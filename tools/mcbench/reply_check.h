// Judging memcached ASCII replies to mcbench's two requests, "get <key>" and
// "set <key> ...": where a reply ends in a TCP stream, and whether a complete
// reply is a hit, a miss, STORED or which kind of error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace unbuckle::mcbench {

enum class Op : uint8_t { kGet, kSet };

enum class ErrorKind : uint8_t {
  kMalformed,    // not a reply to this request at all, or truncated
  kWrongKey,     // VALUE line names another key
  kWrongFlags,   // --validate: flags differ from what mcbench sets
  kWrongLength,  // --validate: <bytes> differs from --value-size
  kWrongValue,   // --validate: the data bytes differ
  kMissingEnd,   // VALUE block not followed by exactly "END\r\n"
  kServerError,  // ERROR, CLIENT_ERROR or SERVER_ERROR line
  kNotStored,    // a set answered with something other than STORED
  kBadFrame,     // UDP: inconsistent seq/total, reserved != 0, oversized datagram
  kCount,
};

inline constexpr size_t kErrorKindCount = static_cast<size_t>(ErrorKind::kCount);

// Stable snake_case names, used in the text report and in --json.
std::string_view errorKindName(ErrorKind kind);

enum class Outcome : uint8_t { kHit, kMiss, kStored, kError };

struct Verdict {
  Outcome outcome = Outcome::kError;
  ErrorKind error = ErrorKind::kMalformed;  // meaningful for kError only
};

// What a GET of one key is expected to return when it hits.
struct ExpectedItem {
  std::string_view key;
  std::string_view value;
  uint32_t flags = 0;
};

// Stream framing: how many bytes at the start of `buffer` form the complete
// reply to `op`. kGarbage means the stream cannot be followed any more.
struct Framing {
  enum class Status { kNeedMore, kComplete, kGarbage } status = Status::kNeedMore;
  size_t length = 0;
};
Framing frameReply(std::string_view buffer, Op op);

// `reply` is one complete reply (a whole UDP message, or a framed TCP reply).
// The key and the framing are always checked; flags, length and value bytes
// only when `validate` is set.
Verdict checkGetReply(std::string_view reply, const ExpectedItem& expected, bool validate);
Verdict checkSetReply(std::string_view reply);

}  // namespace unbuckle::mcbench
