#include "mcbench/memcached_stats.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace unbuckle::mcbench {

std::optional<std::pair<std::string, std::string>> parseStatLine(std::string_view line) {
  constexpr std::string_view kPrefix = "STAT ";
  if (!line.starts_with(kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  const size_t space = line.find(' ');
  if (space == 0 || space == std::string_view::npos) return std::nullopt;
  return std::make_pair(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
}

StatsMap parseStatsReply(std::string_view reply) {
  StatsMap stats;
  while (!reply.empty()) {
    const size_t eol = reply.find("\r\n");
    if (eol == std::string_view::npos) break;
    const std::string_view line = reply.substr(0, eol);
    reply.remove_prefix(eol + 2);
    if (line == "END") return stats;
    if (auto stat = parseStatLine(line)) stats.insert(std::move(*stat));
  }
  throw std::runtime_error("stats reply does not end in END");
}

uint64_t statNumber(const StatsMap& stats, std::string_view name) {
  const auto it = stats.find(name);
  if (it == stats.end()) throw std::runtime_error(fmt::format("stats has no '{}'", name));
  uint64_t value = 0;
  const std::string& text = it->second;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw std::runtime_error(fmt::format("stats '{}' is not a number: '{}'", name, text));
  }
  return value;
}

}  // namespace unbuckle::mcbench
