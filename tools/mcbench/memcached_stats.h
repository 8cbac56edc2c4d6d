// The reply of memcached's "stats" command: "STAT <name> <value>\r\n" lines
// closed by "END\r\n".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace unbuckle::mcbench {

using StatsMap = std::map<std::string, std::string, std::less<>>;

// One line without its "\r\n"; nullopt unless it is "STAT <name> <value>".
std::optional<std::pair<std::string, std::string>> parseStatLine(std::string_view line);

// A whole reply; throws std::runtime_error when it does not end in END.
StatsMap parseStatsReply(std::string_view reply);

// A numeric statistic; throws std::runtime_error when absent or not a number.
uint64_t statNumber(const StatsMap& stats, std::string_view name);

}  // namespace unbuckle::mcbench
