// MD5 as RFC 1321 specifies it: 64-byte blocks of little-endian words, four
// rounds of sixteen steps, length padding in bits.
#include "md5.h"

#include <bit>
#include <cstring>

namespace unbuckle::client {
namespace {

// Left-rotation amounts, four per round.
constexpr uint32_t kShift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

// floor(abs(sin(i + 1)) * 2^32), the RFC's table T.
constexpr uint32_t kSine[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

uint32_t loadLittle(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// Step `index`: a = b + ((a + mix + T[index] + word) <<< shift), then rotate the
// registers so that the next step's a is this one's d.
inline void step(uint32_t& a, uint32_t& b, uint32_t& c, uint32_t& d, uint32_t mix, uint32_t word,
                 uint32_t index, uint32_t shift) {
  const uint32_t next = b + std::rotl(a + mix + kSine[index] + word, static_cast<int>(shift));
  a = d;
  d = c;
  c = b;
  b = next;
}

void compress(uint32_t state[4], const uint8_t* block) {
  uint32_t word[16];
  for (int i = 0; i < 16; ++i) word[i] = loadLittle(block + 4 * i);
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  for (uint32_t i = 0; i < 16; ++i) step(a, b, c, d, (b & c) | (~b & d), word[i], i, kShift[0][i % 4]);
  for (uint32_t i = 16; i < 32; ++i) {
    step(a, b, c, d, (b & d) | (c & ~d), word[(5 * i + 1) % 16], i, kShift[1][i % 4]);
  }
  for (uint32_t i = 32; i < 48; ++i) step(a, b, c, d, b ^ c ^ d, word[(3 * i + 5) % 16], i, kShift[2][i % 4]);
  for (uint32_t i = 48; i < 64; ++i) step(a, b, c, d, c ^ (b | ~d), word[(7 * i) % 16], i, kShift[3][i % 4]);
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

}  // namespace

uint32_t md5Word(const Md5Digest& digest, unsigned x) { return loadLittle(digest.data() + 4 * x); }

Md5Digest md5(std::string_view data) {
  uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const size_t whole = data.size() / 64 * 64;
  for (size_t offset = 0; offset < whole; offset += 64) compress(state, bytes + offset);

  // The tail, 0x80, zeros up to 56 mod 64, then the length in bits (LE).
  uint8_t tail[128] = {};
  const size_t left = data.size() - whole;
  if (left) std::memcpy(tail, bytes + whole, left);
  tail[left] = 0x80;
  const size_t tailSize = left < 56 ? 64 : 128;
  const uint64_t bits = uint64_t(data.size()) * 8;
  for (int i = 0; i < 8; ++i) tail[tailSize - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
  compress(state, tail);
  if (tailSize == 128) compress(state, tail + 64);

  Md5Digest digest;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) digest[4 * i + j] = static_cast<uint8_t>(state[i] >> (8 * j));
  }
  return digest;
}

}  // namespace unbuckle::client
