#include "proto/number_parse.h"

#include <limits>

namespace unbuckle::proto {

namespace {

bool isCSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// What strtoull/strtol saw: the magnitude, its sign, where the digits
// stopped, and whether the magnitude overflowed 64 bits.
struct Scan {
  uint64_t magnitude = 0;
  bool negative = false;
  bool overflow = false;
  size_t end = 0;   // 0 when no digits were found (strtoul's endptr == str)
};

Scan scanDecimal(std::string_view text) {
  Scan s;
  size_t i = 0;
  while (i < text.size() && isCSpace(text[i])) ++i;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    s.negative = text[i] == '-';
    ++i;
  }
  const size_t digits_start = i;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (s.magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) s.overflow = true;
    s.magnitude = s.magnitude * 10 + digit;
  }
  s.end = i > digits_start ? i : 0;
  return s;
}

// The text after the number must be empty or start with whitespace (in
// memcached the token ends at a NUL; stored values end in "\r\n").
bool endsWell(std::string_view text, size_t end) {
  return end == text.size() || isCSpace(text[end]) || text[end] == '\0';
}

}  // namespace

bool parseU64(std::string_view text, uint64_t& out) {
  out = 0;
  const Scan s = scanDecimal(text);
  if (s.end == 0 || s.overflow || !endsWell(text, s.end)) return false;
  const uint64_t value = s.negative ? uint64_t{0} - s.magnitude : s.magnitude;
  if (static_cast<int64_t>(value) < 0 && text.find('-') != std::string_view::npos) return false;
  out = value;
  return true;
}

bool parseU32(std::string_view text, uint32_t& out) {
  uint64_t wide = 0;
  const bool ok = parseU64(text, wide);
  out = static_cast<uint32_t>(wide);
  return ok;
}

bool parseI32(std::string_view text, int32_t& out) {
  out = 0;
  const Scan s = scanDecimal(text);
  if (s.end == 0 || s.overflow || !endsWell(text, s.end)) return false;
  // strtol's range is [INT64_MIN, INT64_MAX]; beyond it is ERANGE.
  const uint64_t limit = s.negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (s.magnitude > limit) return false;
  const uint64_t value = s.negative ? uint64_t{0} - s.magnitude : s.magnitude;
  out = static_cast<int32_t>(static_cast<uint32_t>(value));
  return true;
}

}  // namespace unbuckle::proto
