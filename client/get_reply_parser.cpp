#include "client/get_reply_parser.h"

#include <charconv>

#include "unbuckle/mc_udp.h"

namespace unbuckle::client {

namespace {

constexpr std::string_view kEnd = "END\r\n";
constexpr std::string_view kValuePrefix = "VALUE ";
// The longest line of a get reply: "VALUE " + a 250-byte key + four numbers
// fits easily, and memcached's error lines are shorter.
constexpr size_t kMaxLine = 512;

// What starts at the front of a reply: a whole VALUE block, END, an error
// line, too few bytes to tell, or anything else.
struct Unit {
  enum class Kind { kValue, kEnd, kErrorLine, kNeedMore, kCorrupt } kind = Kind::kCorrupt;
  size_t length = 0;
  ParsedValue value;
  std::string_view line;
};

std::string_view nextToken(std::string_view& rest) {
  const size_t space = rest.find(' ');
  const std::string_view token = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  return token;
}

template <class T>
bool parseNumber(std::string_view token, T& out) {
  if (token.empty()) return false;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), out);
  return ec == std::errc() && ptr == token.data() + token.size();
}

Unit readUnit(std::string_view text) {
  Unit unit;
  // A longer line is corrupt whether its "\r\n" came or not, so that how a
  // reply is cut into reads never changes what it is.
  const size_t eol = text.find("\r\n");
  if (eol == std::string_view::npos) {
    unit.kind = text.size() < kMaxLine + 2 ? Unit::Kind::kNeedMore : Unit::Kind::kCorrupt;
    return unit;
  }
  if (eol > kMaxLine) return unit;  // kCorrupt
  const std::string_view line = text.substr(0, eol);
  if (line.size() + 2 == kEnd.size() && text.starts_with(kEnd)) {
    unit.kind = Unit::Kind::kEnd;
    unit.length = kEnd.size();
    return unit;
  }
  if (isErrorLine(line)) {
    unit.kind = Unit::Kind::kErrorLine;
    unit.length = eol + 2;
    unit.line = line;
    return unit;
  }
  const auto value_line = parseValueLine(line);
  if (!value_line) return unit;  // kCorrupt
  const size_t bytes = value_line->bytes;
  unit.value.key = value_line->key;
  unit.value.flags = value_line->flags;
  unit.value.cas = value_line->cas;
  const size_t data_begin = eol + 2;
  if (text.size() - data_begin < bytes + 2) {
    unit.kind = Unit::Kind::kNeedMore;
    return unit;
  }
  if (text.substr(data_begin + bytes, 2) != "\r\n") return unit;  // kCorrupt
  unit.kind = Unit::Kind::kValue;
  unit.value.data = text.substr(data_begin, bytes);
  unit.length = data_begin + bytes + 2;
  return unit;
}

}  // namespace

std::optional<ValueLine> parseValueLine(std::string_view line) {
  if (!line.starts_with(kValuePrefix)) return std::nullopt;
  std::string_view rest = line.substr(kValuePrefix.size());
  ValueLine value;
  value.key = nextToken(rest);
  if (value.key.empty() || value.key.size() > MC_KEY_MAX_LENGTH) return std::nullopt;
  if (!parseNumber(nextToken(rest), value.flags)) return std::nullopt;
  if (!parseNumber(nextToken(rest), value.bytes) || value.bytes > kMaxValueBytes) return std::nullopt;
  if (rest.empty()) return value;
  uint64_t cas = 0;
  if (!parseNumber(nextToken(rest), cas) || !rest.empty()) return std::nullopt;
  value.cas = cas;
  return value;
}

bool isErrorLine(std::string_view line) {
  return line == "ERROR" || line.starts_with("CLIENT_ERROR ") || line.starts_with("SERVER_ERROR ");
}

namespace {

// Reads a get reply's units from `position` up to its END (or error line),
// handing each VALUE block to `on_value`; `position` ends after the last
// whole unit read.
template <class OnValue>
StreamedGetReply::Status walkGetReplyStream(std::string_view buffer, size_t& position, std::string_view& error_line,
                                            OnValue&& on_value) {
  for (;;) {
    const Unit unit = readUnit(buffer.substr(position));
    switch (unit.kind) {
      case Unit::Kind::kValue:
        on_value(unit.value);
        position += unit.length;
        continue;
      case Unit::Kind::kErrorLine:
        error_line = unit.line;
        [[fallthrough]];
      case Unit::Kind::kEnd:
        position += unit.length;
        return StreamedGetReply::Status::kComplete;
      case Unit::Kind::kNeedMore: return StreamedGetReply::Status::kNeedMore;
      case Unit::Kind::kCorrupt: return StreamedGetReply::Status::kCorrupt;
    }
  }
}

}  // namespace

StreamedGetReply parseGetReplyStream(std::string_view buffer) {
  StreamedGetReply reply;
  size_t position = 0;
  reply.status = walkGetReplyStream(buffer, position, reply.error_line,
                                    [&reply](const ParsedValue& value) { reply.values.push_back(value); });
  if (reply.status == StreamedGetReply::Status::kComplete) {
    reply.length = position;
  } else {
    reply.values.clear();
  }
  return reply;
}

GetReplyExtent measureGetReplyStream(std::string_view buffer, size_t from) {
  size_t position = from;
  std::string_view error_line;
  const auto status = walkGetReplyStream(buffer, position, error_line, [](const ParsedValue&) {});
  return GetReplyExtent{status, status == StreamedGetReply::Status::kCorrupt ? 0 : position};
}

void deliverValue(const ParsedValue& value, const ValueSink& sink, ItemMap& items) {
  if (sink) return sink(ValueView{value.key, value.flags, value.data, value.cas.value_or(0)});
  items.try_emplace(std::string(value.key), Item{value.flags, std::string(value.data), value.cas.value_or(0)});
}

bool parseGetReplyMessage(std::string_view message, GetReplyMessage& parsed) {
  parsed.values.clear();
  parsed.ends_reply = false;
  while (!message.empty()) {
    const Unit unit = readUnit(message);
    if (unit.kind == Unit::Kind::kEnd && unit.length == message.size()) {
      parsed.ends_reply = true;
      return true;
    }
    if (unit.kind != Unit::Kind::kValue) return false;
    parsed.values.push_back(unit.value);
    message.remove_prefix(unit.length);
  }
  return !parsed.values.empty();
}

}  // namespace unbuckle::client
