#include "afxdp/internet_checksum.h"

#include <cstring>

namespace unbuckle::afxdp {

uint64_t checksumAdd(uint64_t sum, const void* data, size_t length) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  // 32-bit words into a 64-bit accumulator: carries pile up in the high half
  // and are folded back by checksumFinish().
  for (; length >= 4; bytes += 4, length -= 4) {
    uint32_t word;
    std::memcpy(&word, bytes, 4);
    sum += word;
  }
  if (length >= 2) {
    uint16_t half;
    std::memcpy(&half, bytes, 2);
    sum += half;
    bytes += 2;
    length -= 2;
  }
  if (length == 1) {
    const uint8_t tail[2] = {bytes[0], 0};
    uint16_t half;
    std::memcpy(&half, tail, 2);
    sum += half;
  }
  return sum;
}

uint16_t checksumFinish(uint64_t sum) {
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

}  // namespace unbuckle::afxdp
