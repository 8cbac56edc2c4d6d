#include "reply_stream_check.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace unbuckle::fuzz {
namespace {

// The decimal in space-separated token `index` of `line`, if there is one.
std::optional<size_t> numberToken(std::string_view line, size_t index) {
  for (size_t i = 0; i < index; ++i) {
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    line.remove_prefix(space + 1);
  }
  line = line.substr(0, line.find(' '));
  size_t value = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
  if (ec != std::errc() || end != line.data() + line.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string replyStreamError(std::string_view replies) {
  size_t at = 0;
  while (at < replies.size()) {
    const size_t newline = replies.find('\n', at);
    if (newline == std::string_view::npos) {
      return "reply stream ends inside a line at byte " + std::to_string(at);
    }
    // `lru_crawler metadump` ends its "key=..." lines in "\n" alone, as memcached's do.
    const bool metadump = replies.substr(at, 4) == "key=";
    if (!metadump && (newline == at || replies[newline - 1] != '\r')) {
      return "line without \\r\\n at byte " + std::to_string(at) + ": " +
             std::string(replies.substr(at, std::min<size_t>(newline + 1 - at, 80)));
    }
    const std::string_view line = replies.substr(at, newline - (metadump ? 0 : 1) - at);
    at = newline + 1;
    std::optional<size_t> data;
    if (line.starts_with("VALUE ")) {
      data = numberToken(line, 3);
    } else if (line.starts_with("VA ")) {
      data = numberToken(line, 1);
    } else {
      continue;
    }
    if (!data) {
      return "value line without a length at byte " + std::to_string(at);
    }
    if (replies.size() - at < *data + 2 || replies.substr(at + *data, 2) != "\r\n") {
      return "data block not of its announced length at byte " + std::to_string(at);
    }
    at += *data + 2;
  }
  return {};
}

}  // namespace unbuckle::fuzz
