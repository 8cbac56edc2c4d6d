#include "control/stats_json.h"

#include <cstdio>

namespace unbuckle::control {
namespace {

// An integer as JSON writes one: optional minus, no leading zeros.
bool isJsonInteger(std::string_view value) {
  if (!value.empty() && value[0] == '-') value.remove_prefix(1);
  if (value.empty() || value.size() > 20 || (value[0] == '0' && value.size() > 1)) return false;
  return value.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string jsonString(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      quoted += escaped;
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

}  // namespace

std::string statsJson(std::string_view stats_reply) {
  std::string json = "{";
  size_t start = 0;
  while (start < stats_reply.size()) {
    size_t end = stats_reply.find('\n', start);
    if (end == std::string_view::npos) end = stats_reply.size();
    std::string_view line = stats_reply.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.starts_with("STAT ")) continue;
    line.remove_prefix(5);
    const size_t space = line.find(' ');
    const std::string_view name = line.substr(0, space);
    const std::string_view value = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    json += (json.size() > 1 ? ", " : "") + jsonString(name) + ": " +
            (isJsonInteger(value) ? std::string(value) : jsonString(value));
  }
  return json + "}";
}

}  // namespace unbuckle::control
