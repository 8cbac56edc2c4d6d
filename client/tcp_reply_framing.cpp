#include "client/tcp_reply_framing.h"

#include <charconv>

#include "client/get_reply_parser.h"

namespace unbuckle::client {

namespace {

// Longer than any reply line memcached sends but a VALUE block's data.
constexpr size_t kMaxLine = 8192;

// Where the line starting at `from` ends (its "\r\n"): kComplete with `eol`,
// kNeedMore, or kCorrupt for a line over kMaxLine bytes, whether its "\r\n"
// came in this read or has not come yet.
struct LineEnd {
  Framing::Status status = Framing::Status::kNeedMore;
  size_t eol = 0;
};
LineEnd findLineEnd(std::string_view buffer, size_t from) {
  const size_t eol = buffer.find("\r\n", from);
  if (eol == std::string_view::npos) {
    return {buffer.size() - from < kMaxLine + 2 ? Framing::Status::kNeedMore : Framing::Status::kCorrupt, 0};
  }
  return {eol - from > kMaxLine ? Framing::Status::kCorrupt : Framing::Status::kComplete, eol};
}

Framing frameStats(std::string_view buffer) {
  size_t position = 0;
  for (;;) {
    const LineEnd end = findLineEnd(buffer, position);
    if (end.status != Framing::Status::kComplete) return Framing{end.status, 0};
    const size_t eol = end.eol;
    const std::string_view line = buffer.substr(position, eol - position);
    position = eol + 2;
    if (line == "END" || line == "ERROR" || line.starts_with("CLIENT_ERROR ") || line.starts_with("SERVER_ERROR ")) {
      return Framing{Framing::Status::kComplete, position};
    }
    if (!line.starts_with("STAT ")) return Framing{Framing::Status::kCorrupt, 0};
  }
}

// "VA <size> <flags>*\r\n<size bytes>\r\n", or any other single line.
Framing frameMeta(std::string_view buffer) {
  const LineEnd end = findLineEnd(buffer, 0);
  if (end.status != Framing::Status::kComplete) return Framing{end.status, 0};
  const size_t eol = end.eol;
  const std::string_view line = buffer.substr(0, eol);
  if (!line.starts_with("VA ")) return Framing{Framing::Status::kComplete, eol + 2};
  const std::string_view size_token = line.substr(3, line.find(' ', 3) - 3);
  size_t size = 0;
  const auto [ptr, ec] = std::from_chars(size_token.data(), size_token.data() + size_token.size(), size);
  if (ec != std::errc() || ptr != size_token.data() + size_token.size() || size > kMaxValueBytes) {
    return Framing{Framing::Status::kCorrupt, 0};
  }
  const size_t total = eol + 2 + size + 2;
  if (buffer.size() < total) return Framing{Framing::Status::kNeedMore, 0};
  if (buffer.substr(total - 2, 2) != "\r\n") return Framing{Framing::Status::kCorrupt, 0};
  return Framing{Framing::Status::kComplete, total};
}

}  // namespace

Framing frameReply(std::string_view buffer, CommandKind kind, size_t resume) {
  switch (kind) {
    case CommandKind::kLine: {
      const LineEnd end = findLineEnd(buffer, 0);
      return Framing{end.status, end.status == Framing::Status::kComplete ? end.eol + 2 : 0};
    }
    case CommandKind::kValues: {
      const GetReplyExtent reply = measureGetReplyStream(buffer, resume);
      if (reply.status == StreamedGetReply::Status::kComplete) return Framing{Framing::Status::kComplete, reply.length};
      if (reply.status == StreamedGetReply::Status::kCorrupt) return Framing{Framing::Status::kCorrupt, 0};
      return Framing{Framing::Status::kNeedMore, reply.length};
    }
    case CommandKind::kMeta: return frameMeta(buffer);
    case CommandKind::kStats: return frameStats(buffer);
  }
  return Framing{Framing::Status::kCorrupt, 0};
}

}  // namespace unbuckle::client
