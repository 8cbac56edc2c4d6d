#include "unbuckle/mc_udp_frame.h"

#include <gtest/gtest.h>

#include <string>

namespace unbuckle {
namespace {

using namespace std::string_literals;

TEST(FrameHeader, WritesFourBigEndianFields) {
  char bytes[8];
  writeFrameHeader(FrameHeader{0x1234, 0x0001, 0x0203, 0x0000}, bytes);
  EXPECT_EQ(std::string(bytes, 8), "\x12\x34\x00\x01\x02\x03\x00\x00"s);
  writeFrameHeader(FrameHeader{0x0102, 0x0304, 0x0506, 0x0708}, bytes);
  EXPECT_EQ(std::string(bytes, 8), "\x01\x02\x03\x04\x05\x06\x07\x08"s);
}

TEST(FrameHeader, ReadsFourBigEndianFields) {
  const std::string bytes = "\xab\xcd\x00\x07\xff\xfe\x00\x05"s;
  const FrameHeader h = readFrameHeader(bytes.data());
  EXPECT_EQ(h.request_id, 0xabcd);
  EXPECT_EQ(h.sequence, 7);
  EXPECT_EQ(h.total, 0xfffe);
  EXPECT_EQ(h.reserved, 5);
}

TEST(FrameHeader, ParsesWhatWriteWrote) {
  std::string datagram(8, '\0');
  writeFrameHeader(FrameHeader{0x0102, 0x0304, 0x0506, 0x0708}, datagram.data());
  datagram += "VALUE";
  const auto parsed = parseFrameHeader(datagram);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->request_id, 0x0102);
  EXPECT_EQ(parsed->sequence, 0x0304);
  EXPECT_EQ(parsed->total, 0x0506);
  EXPECT_EQ(parsed->reserved, 0x0708);
}

TEST(FrameHeader, ParseRefusesADatagramShorterThanTheHeader) {
  const std::string bytes(8, '\0');
  EXPECT_TRUE(parseFrameHeader(bytes));
  EXPECT_FALSE(parseFrameHeader(std::string_view(bytes).substr(0, 7)));
  EXPECT_FALSE(parseFrameHeader(""));
}

TEST(FrameHeader, WholeMessage) {
  EXPECT_TRUE(isWholeMessage(FrameHeader{0x1234, 0, 1, 0}));
  EXPECT_FALSE(isWholeMessage(FrameHeader{0x1234, 0, 2, 0}));
  EXPECT_FALSE(isWholeMessage(FrameHeader{0x1234, 1, 1, 0}));
  EXPECT_FALSE(isWholeMessage(FrameHeader{0x1234, 0, 1, 5}));
}

}  // namespace
}  // namespace unbuckle
