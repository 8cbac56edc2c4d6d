#include "proto/base64.h"

#include <cstdint>

namespace unbuckle::proto {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kSkip = 0x80;

// 6-bit value of a character; '=' counts as 0; kSkip for the rest.
uint8_t sextet(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<uint8_t>(c - 'A');
  if (c >= 'a' && c <= 'z') return static_cast<uint8_t>(c - 'a' + 26);
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0' + 52);
  if (c == '+') return 62;
  if (c == '/') return 63;
  if (c == '=') return 0;
  return kSkip;
}

}  // namespace

size_t base64Decode(std::string_view in, char* out) {
  size_t symbols = 0;
  for (char c : in) symbols += sextet(c) != kSkip;
  if (symbols == 0 || symbols % 4 != 0) return 0;

  size_t written = 0;
  uint8_t block[4];
  size_t filled = 0;
  int padding = 0;
  for (char c : in) {
    const uint8_t v = sextet(c);
    if (v == kSkip) continue;
    padding += c == '=';
    block[filled++] = v;
    if (filled < 4) continue;
    out[written++] = static_cast<char>((block[0] << 2) | (block[1] >> 4));
    out[written++] = static_cast<char>((block[1] << 4) | (block[2] >> 2));
    out[written++] = static_cast<char>((block[2] << 6) | block[3]);
    filled = 0;
    if (padding > 2) return 0;
    if (padding > 0) {
      written -= static_cast<size_t>(padding);
      break;
    }
  }
  return written;
}

void base64Encode(std::string_view in, std::string& out) {
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint8_t>(in[k]); };
  for (; i + 3 <= in.size(); i += 3) {
    out += kAlphabet[byte(i) >> 2];
    out += kAlphabet[((byte(i) & 0x03) << 4) | (byte(i + 1) >> 4)];
    out += kAlphabet[((byte(i + 1) & 0x0f) << 2) | (byte(i + 2) >> 6)];
    out += kAlphabet[byte(i + 2) & 0x3f];
  }
  const size_t left = in.size() - i;
  if (left == 0) return;
  out += kAlphabet[byte(i) >> 2];
  if (left == 1) {
    out += kAlphabet[(byte(i) & 0x03) << 4];
    out += "==";
  } else {
    out += kAlphabet[((byte(i) & 0x03) << 4) | (byte(i + 1) >> 4)];
    out += kAlphabet[(byte(i + 1) & 0x0f) << 2];
    out += '=';
  }
}

}  // namespace unbuckle::proto
