// CPU time of a server process (user + system, all threads) from
// /proc/PID/stat, sampled before and after a run for "CPU per request".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>

namespace unbuckle::mcbench {

// utime + stime of one /proc/PID/stat line, in seconds; nullopt if the line
// cannot be parsed. The command name may contain spaces and parentheses.
std::optional<double> parseProcStatCpuSeconds(std::string_view stat_line, long ticks_per_second);

// nullopt when the process is gone or unreadable.
std::optional<double> processCpuSeconds(pid_t pid);

}  // namespace unbuckle::mcbench
