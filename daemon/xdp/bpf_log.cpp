#include "xdp/bpf_log.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <xdp/libxdp.h>

#include <cstdarg>
#include <cstdio>
#include <deque>
#include <mutex>

namespace unbuckle::xdp {

namespace {

constexpr size_t kKeptLines = 64;

std::mutex tail_mutex;
std::deque<std::string> tail;

void keep(spdlog::level::level_enum level, const char* format, va_list args) {
  // Whole: a verifier log comes as one message of many KiB, and its last
  // lines say why the load failed.
  va_list measure;
  va_copy(measure, args);
  const int length = vsnprintf(nullptr, 0, format, measure);
  va_end(measure);
  if (length <= 0) return;
  std::string text(static_cast<size_t>(length) + 1, '\0');
  vsnprintf(text.data(), text.size(), format, args);
  text.pop_back();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  spdlog::log(level, "{}", text);
  std::lock_guard lock(tail_mutex);
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) tail.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  while (tail.size() > kKeptLines) tail.pop_front();
}

int libbpfPrint(libbpf_print_level level, const char* format, va_list args) {
  keep(level == LIBBPF_WARN ? spdlog::level::info : spdlog::level::debug, format, args);
  return 0;
}

int libxdpPrint(libxdp_print_level level, const char* format, va_list args) {
  keep(level == LIBXDP_WARN ? spdlog::level::info : spdlog::level::debug, format, args);
  return 0;
}

}  // namespace

void routeBpfLogsToSpdlog() {
  libbpf_set_print(libbpfPrint);
  libxdp_set_print(libxdpPrint);
}

void clearBpfLogTail() {
  std::lock_guard lock(tail_mutex);
  tail.clear();
}

std::string lastBpfLogLines(int lines) {
  std::lock_guard lock(tail_mutex);
  std::string joined;
  size_t first = tail.size() > static_cast<size_t>(lines) ? tail.size() - lines : 0;
  for (size_t i = first; i < tail.size(); ++i) {
    if (!joined.empty()) joined += " | ";
    joined += tail[i];
  }
  return joined;
}

std::string verifierVerdict(int lines) {
  {
    std::lock_guard lock(tail_mutex);
    for (size_t end = tail.size(); end-- > 0;) {
      const size_t marker = tail[end].find("-- END PROG LOAD LOG --");
      if (marker == std::string::npos) continue;
      std::deque<std::string> verdict;
      if (marker > 0) verdict.push_back(tail[end].substr(0, marker));   // a log cut short, without its newline
      for (size_t i = end; i-- > 0 && verdict.size() < static_cast<size_t>(lines);) {
        if (tail[i].find("BEGIN PROG LOAD LOG") != std::string::npos) break;
        if (tail[i].rfind("processed ", 0) == 0 || tail[i].rfind("verification time", 0) == 0 ||
            tail[i].rfind("stack depth", 0) == 0) {
          continue;
        }
        verdict.push_front(tail[i]);
      }
      std::string joined;
      for (const std::string& line : verdict) {
        // The verifier aligns its register states with runs of spaces.
        std::string squeezed;
        for (const char c : line) {
          if (c != ' ' || squeezed.empty() || squeezed.back() != ' ') squeezed += c;
        }
        joined += (joined.empty() ? "" : " | ") + squeezed;
      }
      return joined;
    }
  }
  return lastBpfLogLines();
}

}  // namespace unbuckle::xdp
