#include "mcbench/reply_check.h"

#include <optional>

#include "client/get_reply_parser.h"

namespace unbuckle::mcbench {

namespace {

using client::isErrorLine;
using client::parseValueLine;

constexpr std::string_view kEnd = "END\r\n";
// No reply line of interest is longer: "VALUE " + 250-byte key + numbers.
constexpr size_t kMaxLine = 1024;

// The first line of `text` without "\r\n", or nullopt if there is no full line.
std::optional<std::string_view> firstLine(std::string_view text) {
  const size_t eol = text.find("\r\n");
  if (eol == std::string_view::npos) return std::nullopt;
  return text.substr(0, eol);
}

Verdict error(ErrorKind kind) {
  return Verdict{Outcome::kError, kind};
}

}  // namespace

std::string_view errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kMalformed: return "malformed";
    case ErrorKind::kWrongKey: return "wrong_key";
    case ErrorKind::kWrongFlags: return "wrong_flags";
    case ErrorKind::kWrongLength: return "wrong_length";
    case ErrorKind::kWrongValue: return "wrong_value";
    case ErrorKind::kMissingEnd: return "missing_end";
    case ErrorKind::kServerError: return "server_error";
    case ErrorKind::kNotStored: return "not_stored";
    case ErrorKind::kBadFrame: return "bad_frame";
    case ErrorKind::kCount: break;
  }
  return "unknown";
}

Framing frameReply(std::string_view buffer, Op op) {
  const size_t newline = buffer.find('\n');
  if (newline == std::string_view::npos) {
    return Framing{buffer.size() > kMaxLine ? Framing::Status::kGarbage : Framing::Status::kNeedMore, 0};
  }
  const size_t line_length = newline + 1;
  if (op == Op::kSet) return Framing{Framing::Status::kComplete, line_length};

  const std::string_view line = buffer.substr(0, line_length);
  const std::string_view bare = line.substr(0, line.size() - (line.ends_with("\r\n") ? 2 : 1));
  if (line == kEnd || isErrorLine(bare)) return Framing{Framing::Status::kComplete, line_length};
  const auto value_line = parseValueLine(bare);
  if (!value_line) return Framing{Framing::Status::kGarbage, 0};
  const size_t total = line_length + value_line->bytes + 2 + kEnd.size();
  if (buffer.size() < total) return Framing{Framing::Status::kNeedMore, 0};
  return Framing{Framing::Status::kComplete, total};
}

Verdict checkGetReply(std::string_view reply, const ExpectedItem& expected, bool validate) {
  if (reply == kEnd) return Verdict{Outcome::kMiss};
  const auto line = firstLine(reply);
  if (!line) return error(ErrorKind::kMalformed);
  if (isErrorLine(*line)) return error(ErrorKind::kServerError);
  const auto value_line = parseValueLine(*line);
  if (!value_line) return error(ErrorKind::kMalformed);
  if (value_line->key != expected.key) return error(ErrorKind::kWrongKey);

  const std::string_view block = reply.substr(line->size() + 2);
  if (block.size() < value_line->bytes + 2 || block.substr(value_line->bytes, 2) != "\r\n") {
    return error(ErrorKind::kMalformed);
  }
  if (block.substr(value_line->bytes + 2) != kEnd) return error(ErrorKind::kMissingEnd);
  if (validate) {
    if (value_line->flags != expected.flags) return error(ErrorKind::kWrongFlags);
    if (value_line->bytes != expected.value.size()) return error(ErrorKind::kWrongLength);
    if (block.substr(0, value_line->bytes) != expected.value) return error(ErrorKind::kWrongValue);
  }
  return Verdict{Outcome::kHit};
}

Verdict checkSetReply(std::string_view reply) {
  if (reply == "STORED\r\n") return Verdict{Outcome::kStored};
  const auto line = firstLine(reply);
  if (!line || line->size() + 2 != reply.size()) return error(ErrorKind::kMalformed);
  if (isErrorLine(*line)) return error(ErrorKind::kServerError);
  if (*line == "NOT_STORED" || *line == "EXISTS" || *line == "NOT_FOUND") return error(ErrorKind::kNotStored);
  return error(ErrorKind::kMalformed);
}

}  // namespace unbuckle::mcbench
