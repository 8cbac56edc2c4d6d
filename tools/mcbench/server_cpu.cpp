#include "mcbench/server_cpu.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace unbuckle::mcbench {

std::optional<double> parseProcStatCpuSeconds(std::string_view stat_line, long ticks_per_second) {
  // "pid (comm) state ppid ...": fields after the last ')' start at field 3;
  // utime and stime are fields 14 and 15.
  const size_t comm_end = stat_line.rfind(')');
  if (comm_end == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  std::istringstream fields{std::string(stat_line.substr(comm_end + 1))};
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int number = 3; number <= 13; ++number) {
    if (!(fields >> field)) return std::nullopt;
  }
  if (!(fields >> utime >> stime)) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(ticks_per_second);
}

std::optional<double> processCpuSeconds(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;
  return parseProcStatCpuSeconds(line, sysconf(_SC_CLK_TCK));
}

}  // namespace unbuckle::mcbench
