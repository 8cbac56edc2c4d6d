#include "store/key_hash.h"

#include <cstring>

namespace unbuckle::store {

namespace {

// Odd constants with well spread bits (fractional parts of irrationals).
constexpr uint64_t kMulA = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kMulB = 0xd6e8feb86659fd93ull;
constexpr uint64_t kMulC = 0xa0761d6478bd642full;

uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Full 64x64->128 multiply folded back to 64 bits: every input bit reaches
// every output bit in one step.
uint64_t foldMultiply(uint64_t a, uint64_t b) {
  unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

uint64_t finalMix(uint64_t h) {
  h ^= h >> 32;
  h *= kMulB;
  h ^= h >> 29;
  h *= kMulA;
  h ^= h >> 32;
  return h;
}

}  // namespace

uint64_t hashKey(std::string_view key) {
  const char* p = key.data();
  size_t n = key.size();
  uint64_t h = kMulC ^ (n * kMulA);
  while (n > 16) {
    h = foldMultiply(load64(p) ^ kMulA, load64(p + 8) ^ kMulB ^ h);
    p += 16;
    n -= 16;
  }
  // The last 1..16 bytes, read as two possibly overlapping words.
  uint64_t a = 0;
  uint64_t b = 0;
  if (n >= 8) {
    a = load64(p);
    b = load64(p + n - 8);
  } else if (n >= 4) {
    a = load32(p);
    b = load32(p + n - 4);
  } else if (n > 0) {
    a = (uint64_t{static_cast<unsigned char>(p[0])} << 16) | (uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
        static_cast<unsigned char>(p[n - 1]);
  }
  h = foldMultiply(a ^ kMulB ^ h, b ^ kMulC);
  return finalMix(h);
}

}  // namespace unbuckle::store
