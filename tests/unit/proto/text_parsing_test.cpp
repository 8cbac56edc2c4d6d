// The small pieces under the engine: tokenizer, memcached's number parsing,
// base64 and exptime conversion.
#include <gtest/gtest.h>

#include "proto/base64.h"
#include "proto/exptime.h"
#include "proto/number_parse.h"
#include "proto/text_tokenizer.h"
#include "store/clock.h"

namespace unbuckle::proto {
namespace {

TEST(TokenizerTest, SplitsOnSpacesOnly) {
  const Tokens t = tokenize("  get a\tb  c\r ");
  ASSERT_EQ(t.count(), 3u);
  EXPECT_EQ(t[0], "get");
  EXPECT_EQ(t[1], "a\tb");
  EXPECT_EQ(t[2], "c\r");
  EXPECT_EQ(t[3], "");
  EXPECT_FALSE(t.hasRest());
  EXPECT_EQ(tokenize("").count(), 0u);
  EXPECT_EQ(tokenize("   ").count(), 0u);
}

TEST(TokenizerTest, StopsAfter23Tokens) {
  std::string line;
  for (int i = 0; i < 25; ++i) line += "t" + std::to_string(i) + " ";
  const Tokens t = tokenize(line);
  EXPECT_EQ(t.count(), 23u);
  EXPECT_TRUE(t.hasRest());
  EXPECT_EQ(t.rest(), "t23 t24 ");
  // Exactly 23 tokens and a trailing space leave nothing behind.
  std::string exact;
  for (int i = 0; i < 23; ++i) exact += "t ";
  EXPECT_FALSE(tokenize(exact).hasRest());
}

TEST(NumberParseTest, Unsigned64) {
  uint64_t v = 0;
  EXPECT_TRUE(parseU64("18446744073709551615", v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_FALSE(parseU64("18446744073709551616", v));
  EXPECT_FALSE(parseU64("-1", v));
  EXPECT_TRUE(parseU64("-0", v));
  EXPECT_TRUE(parseU64("+7", v));
  EXPECT_EQ(v, 7u);
  EXPECT_TRUE(parseU64("\t 12", v));
  EXPECT_TRUE(parseU64("12\tjunk", v));   // whitespace after the digits ends the number
  EXPECT_FALSE(parseU64("12x", v));
  EXPECT_FALSE(parseU64("", v));
  EXPECT_FALSE(parseU64("-", v));
  EXPECT_FALSE(parseU64(" ", v));
  EXPECT_TRUE(parseU64("-18446744073709551615", v));
  EXPECT_EQ(v, 1u);
}

TEST(NumberParseTest, NarrowTypesTruncate) {
  uint32_t u = 0;
  EXPECT_TRUE(parseU32("4294967297", u));
  EXPECT_EQ(u, 1u);
  int32_t i = 0;
  EXPECT_TRUE(parseI32("4294967295", i));
  EXPECT_EQ(i, -1);
  EXPECT_TRUE(parseI32("-5", i));
  EXPECT_EQ(i, -5);
  EXPECT_TRUE(parseI32("9223372036854775807", i));
  EXPECT_FALSE(parseI32("9223372036854775808", i));
  EXPECT_TRUE(parseI32("-9223372036854775808", i));
  EXPECT_FALSE(parseI32("-9223372036854775809", i));
}

TEST(Base64Test, RoundTripAndMemcachedDecodingRules) {
  std::string enc;
  base64Encode("hello", enc);
  EXPECT_EQ(enc, "aGVsbG8=");
  enc.clear();
  base64Encode("m3", enc);
  EXPECT_EQ(enc, "bTM=");
  enc.clear();
  base64Encode("abc", enc);
  EXPECT_EQ(enc, "YWJj");
  char out[16];
  EXPECT_EQ(base64Decode("aGVsbG8=", out), 5u);
  EXPECT_EQ(std::string(out, 5), "hello");
  EXPECT_EQ(base64Decode("a$G$V$s", out), 3u);   // junk is skipped
  EXPECT_EQ(std::string(out, 3), "hel");
  EXPECT_EQ(base64Decode("YQ", out), 0u);        // not a whole block
  EXPECT_EQ(base64Decode("YWJj===", out), 0u);
  EXPECT_EQ(base64Decode("Y===", out), 0u);      // too much padding
  EXPECT_EQ(base64Decode("YW==YWJj", out), 1u);  // stops at the padded block
}

TEST(ExptimeTest, MemcachedRealtime) {
  store::ManualClock clock(1700000000);
  clock.set(50);
  EXPECT_EQ(exptimeToRelTime(0, clock), 0u);
  EXPECT_EQ(exptimeToRelTime(10, clock), 60u);
  EXPECT_EQ(exptimeToRelTime(2592000, clock), 2592050u);
  EXPECT_EQ(exptimeToRelTime(-1, clock), 1u);
  EXPECT_EQ(exptimeToRelTime(2592001, clock), 1u);
  EXPECT_EQ(exptimeToRelTime(1700000000, clock), 1u);
  EXPECT_EQ(exptimeToRelTime(1700000100, clock), 100u);
}

}  // namespace
}  // namespace unbuckle::proto
