// Parsing memcached's reply to get/gets: zero or more
//   VALUE <key> <flags> <bytes> [<cas>]\r\n<bytes of data>\r\n
// blocks followed by END\r\n. Every block is checked (the line's fields, the
// byte count, the CRLF after the data), so a truncated or corrupt reply is
// reported as such and never yields a value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "unbuckle/client.h"

namespace unbuckle::client {

struct ParsedValue {
  std::string_view key;
  uint32_t flags = 0;
  std::string_view data;
  std::optional<uint64_t> cas;  // present in a gets reply
};

// No memcached value is longer: -I accepts at most 1 GiB. A larger byte
// count in a reply is corrupt, and would overflow the arithmetic of where
// the value's data ends.
constexpr size_t kMaxValueBytes = size_t{1} << 30;

// "VALUE <key> <flags> <bytes> [<cas>]" without its "\r\n", as memcached
// writes it (single spaces, a key of at most 250 bytes, at most
// kMaxValueBytes); nullopt otherwise.
struct ValueLine {
  std::string_view key;
  uint32_t flags = 0;
  size_t bytes = 0;
  std::optional<uint64_t> cas;
};
std::optional<ValueLine> parseValueLine(std::string_view line);

// ERROR, CLIENT_ERROR <text> or SERVER_ERROR <text>, without "\r\n".
bool isErrorLine(std::string_view line);

// A reply read from a TCP stream. kNeedMore: `buffer` ends before the reply
// does; kComplete: the reply is the first `length` bytes (END, or an
// ERROR/CLIENT_ERROR/SERVER_ERROR line in `error_line`); kCorrupt: the
// stream cannot be followed.
struct StreamedGetReply {
  enum class Status { kNeedMore, kComplete, kCorrupt } status = Status::kNeedMore;
  size_t length = 0;
  std::vector<ParsedValue> values;
  std::string_view error_line;
};
StreamedGetReply parseGetReplyStream(std::string_view buffer);

// The same walk without collecting the values, from `from`, where a VALUE
// block or END starts: kComplete with the reply's length, kNeedMore with the
// length its whole VALUE blocks reach so far (a later call with more bytes
// may start there instead of reading them again), or kCorrupt.
struct GetReplyExtent {
  StreamedGetReply::Status status = StreamedGetReply::Status::kNeedMore;
  size_t length = 0;
};
GetReplyExtent measureGetReplyStream(std::string_view buffer, size_t from);

// One whole UDP reply message. memcached 1.6 sends each key's VALUE block as
// a message of its own and appends END to the last one, so a message is
// VALUE blocks optionally followed by END, and nothing else. False when the
// message is anything else (truncated, corrupt, an error line). `parsed` is
// overwritten; a caller parsing message after message passes the same one,
// so its vector's room is kept instead of allocated per message.
struct GetReplyMessage {
  std::vector<ParsedValue> values;
  bool ends_reply = false;  // the message ends with END
};
bool parseGetReplyMessage(std::string_view message, GetReplyMessage& parsed);

// Hands `value` to `sink` if there is one; otherwise puts it in `items` as
// an Item, unless its key is there already.
void deliverValue(const ParsedValue& value, const ValueSink& sink, ItemMap& items);

}  // namespace unbuckle::client
