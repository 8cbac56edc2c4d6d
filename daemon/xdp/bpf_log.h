// Routes libbpf's and libxdp's messages into spdlog, one level lower than
// they rate themselves (their warnings are mostly probes that fall back), and
// keeps the last lines so a failed load can quote the verifier.
#pragma once

#include <string>

namespace unbuckle::xdp {

// Installs the print callbacks; safe to call more than once.
void routeBpfLogsToSpdlog();

// Forgets the kept lines; call before an operation whose failure you will
// report with lastBpfLogLines().
void clearBpfLogTail();

// Up to `lines` last lines libbpf/libxdp printed, joined with " | ".
std::string lastBpfLogLines(int lines = 8);

// Why the verifier refused the last program it was given: up to `lines`
// last lines of its log before libbpf's "-- END PROG LOAD LOG --", without
// the statistics line, joined with " | "; lastBpfLogLines() when no
// verifier log was printed.
std::string verifierVerdict(int lines = 4);

}  // namespace unbuckle::xdp
