#include "afxdp/internet_checksum.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace unbuckle::afxdp {
namespace {

// The checksum field's two bytes as they go on the wire.
std::vector<uint8_t> wireBytes(uint16_t field) {
  std::vector<uint8_t> bytes(2);
  std::memcpy(bytes.data(), &field, 2);
  return bytes;
}

TEST(InternetChecksum, Rfc1071Example) {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(wireBytes(checksumFinish(checksumAdd(0, data, sizeof data))),
            (std::vector<uint8_t>{0x22, 0x0d}));
}

TEST(InternetChecksum, KnownIpv4Header) {
  // A textbook IPv4 header (192.168.0.1 -> 192.168.0.199) whose checksum is b861.
  uint8_t header[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(wireBytes(checksumFinish(checksumAdd(0, header, sizeof header))),
            (std::vector<uint8_t>{0xb8, 0x61}));
  // With the checksum in place the header sums to all ones: the finished value is 0.
  header[10] = 0xb8;
  header[11] = 0x61;
  EXPECT_EQ(checksumFinish(checksumAdd(0, header, sizeof header)), 0);
}

TEST(InternetChecksum, OddTailIsPaddedWithZero) {
  const uint8_t odd[] = {0x12, 0x34, 0x56};
  const uint8_t padded[] = {0x12, 0x34, 0x56, 0x00};
  EXPECT_EQ(checksumFinish(checksumAdd(0, odd, sizeof odd)),
            checksumFinish(checksumAdd(0, padded, sizeof padded)));
}

TEST(InternetChecksum, EvenPiecesAddUpToTheWhole) {
  std::vector<uint8_t> data(1401);
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<uint8_t>(i * 131 + 7);
  }
  const uint16_t whole = checksumFinish(checksumAdd(0, data.data(), data.size()));
  for (size_t cut : {2u, 6u, 8u, 40u, 1000u}) {
    uint64_t sum = checksumAdd(0, data.data(), cut);
    sum = checksumAdd(sum, data.data() + cut, data.size() - cut);
    EXPECT_EQ(checksumFinish(sum), whole) << "cut at " << cut;
  }
}

TEST(InternetChecksum, CarriesFoldBack) {
  // Many all-ones words: the 64-bit accumulator carries must fold to ffff, checksum 0.
  const std::vector<uint8_t> ones(4096, 0xff);
  EXPECT_EQ(checksumFinish(checksumAdd(0, ones.data(), ones.size())), 0);
}

}  // namespace
}  // namespace unbuckle::afxdp
