#include "client/get_reply_parser.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace unbuckle::client {
namespace {

using Status = StreamedGetReply::Status;

std::optional<GetReplyMessage> parseMessage(std::string_view message) {
  GetReplyMessage parsed;
  if (!parseGetReplyMessage(message, parsed)) return std::nullopt;
  return parsed;
}

TEST(GetReplyMessage, ValuesThenEnd) {
  const auto parsed = parseMessage("VALUE a 5 3\r\nabc\r\nVALUE b 0 0\r\n\r\nEND\r\n");
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->values.size(), 2u);
  EXPECT_EQ(parsed->values[0].key, "a");
  EXPECT_EQ(parsed->values[0].flags, 5u);
  EXPECT_EQ(parsed->values[0].data, "abc");
  EXPECT_FALSE(parsed->values[0].cas);
  EXPECT_EQ(parsed->values[1].key, "b");
  EXPECT_EQ(parsed->values[1].data, "");
  EXPECT_TRUE(parsed->ends_reply);
}

TEST(GetReplyMessage, OneKeysMessageOfAMemcachedMultiGet) {
  const auto value = parseMessage("VALUE a 0 2 99\r\nxy\r\n");
  ASSERT_TRUE(value);
  EXPECT_FALSE(value->ends_reply);
  EXPECT_EQ(value->values.at(0).cas, 99u);
  const auto end = parseMessage("END\r\n");
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->ends_reply);
  EXPECT_TRUE(end->values.empty());
}

TEST(GetReplyMessage, ParsingAgainOverwritesTheLastMessage) {
  GetReplyMessage parsed;
  ASSERT_TRUE(parseGetReplyMessage("VALUE a 0 1\r\nx\r\nVALUE b 0 1\r\ny\r\nEND\r\n", parsed));
  ASSERT_TRUE(parseGetReplyMessage("VALUE c 0 1\r\nz\r\n", parsed));
  ASSERT_EQ(parsed.values.size(), 1u);
  EXPECT_EQ(parsed.values[0].key, "c");
  EXPECT_FALSE(parsed.ends_reply);
  EXPECT_FALSE(parseGetReplyMessage("STORED\r\n", parsed));
  EXPECT_TRUE(parsed.values.empty());
}

TEST(GetReplyMessage, DeliverValueKeepsAKeysFirstValue) {
  GetReplyMessage parsed;
  ASSERT_TRUE(parseGetReplyMessage("VALUE a 5 3 7\r\nabc\r\nVALUE a 0 1 8\r\nz\r\nEND\r\n", parsed));
  ItemMap items;
  for (const ParsedValue& value : parsed.values) deliverValue(value, nullptr, items);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items.at("a").value, "abc");
  EXPECT_EQ(items.at("a").flags, 5u);
  EXPECT_EQ(items.at("a").cas, 7u);
}

TEST(GetReplyMessage, DeliverValueHandsEveryValueToASinkInstead) {
  GetReplyMessage parsed;
  ASSERT_TRUE(parseGetReplyMessage("VALUE a 5 3 7\r\nabc\r\nVALUE b 0 0\r\n\r\nEND\r\n", parsed));
  std::vector<std::string> seen;
  const ValueSink sink = [&seen](const ValueView& value) {
    seen.push_back(std::string(value.key) + " " + std::to_string(value.flags) + " " + std::string(value.value) + " " +
                   std::to_string(value.cas));
  };
  ItemMap items;
  for (const ParsedValue& value : parsed.values) deliverValue(value, sink, items);
  EXPECT_TRUE(items.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"a 5 abc 7", "b 0  0"}));
}

TEST(GetReplyMessage, DataHoldingCrlfAndEndIsData) {
  const auto parsed = parseMessage("VALUE a 0 7\r\n\r\nEND\r\n\r\nEND\r\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->values.at(0).data, "\r\nEND\r\n");
  EXPECT_TRUE(parsed->ends_reply);
}

TEST(GetReplyMessage, EveryTruncationIsRefused) {
  const std::string reply = "VALUE key 1 10 42\r\n0123456789\r\nEND\r\n";
  for (size_t length = 1; length < reply.size(); ++length) {
    const auto parsed = parseMessage(reply.substr(0, length));
    // Cut right after the data block, it is a whole message of memcached 1.6
    // that END follows in another; anywhere else it is no reply at all.
    if (length == reply.size() - 5) {
      ASSERT_TRUE(parsed);
      EXPECT_FALSE(parsed->ends_reply);
    } else {
      EXPECT_FALSE(parsed) << "accepted the first " << length << " bytes";
    }
  }
}

TEST(GetReplyMessage, CorruptRepliesAreRefused) {
  const char* corrupt[] = {
      "",                                        // nothing
      "VALUE a 0 4\r\nabc\r\nEND\r\n",           // byte count too large
      "VALUE a 0 2\r\nabc\r\nEND\r\n",           // too small
      "VALUE a 0 3\r\nabcXYEND\r\n",             // no CRLF after the data
      "VALUE a 0 3\r\nabc\r\nEND\r\nx",          // bytes after END
      "VALUE a 0 3\r\nabc\r\nEND\r\nEND\r\n",    // END twice
      "VALUE a x 3\r\nabc\r\nEND\r\n",           // flags not a number
      "VALUE a 0 -3\r\nabc\r\nEND\r\n",          // negative count
      "VALUE a 0 3 1 2\r\nabc\r\nEND\r\n",       // a field too many
      "VALUE a  0 3\r\nabc\r\nEND\r\n",          // two spaces
      "VALUE  0 3\r\nabc\r\nEND\r\n",            // no key
      "VALUE a 0 99999999999999999999999\r\n",  // count overflows
      // Counts whose data end would wrap around: once read as a value of
      // "END\r\n", and over 1 GiB, which memcached never sends.
      "VALUE a 0 18446744073709551614\r\nEND\r\n",
      "VALUE a 0 1073741825\r\nEND\r\n",
      "SERVER_ERROR out of memory\r\n",          // an error, not a reply
      "END\n",                                   // bare LF
      "STORED\r\n",
  };
  for (const char* reply : corrupt) EXPECT_FALSE(parseMessage(reply)) << reply;
}

TEST(GetReplyStream, CompleteAtEndAndNeedsMoreBefore) {
  const std::string reply = "VALUE a 0 3\r\nabc\r\nVALUE bb 2 1 7\r\nz\r\nEND\r\nVALUE next";
  const size_t complete = reply.find("VALUE next");
  for (size_t length = 0; length < complete; ++length) {
    EXPECT_EQ(parseGetReplyStream(reply.substr(0, length)).status, Status::kNeedMore) << length;
  }
  const StreamedGetReply parsed = parseGetReplyStream(reply);
  ASSERT_EQ(parsed.status, Status::kComplete);
  EXPECT_EQ(parsed.length, complete);
  ASSERT_EQ(parsed.values.size(), 2u);
  EXPECT_EQ(parsed.values[1].key, "bb");
  EXPECT_EQ(parsed.values[1].cas, 7u);
}

TEST(GetReplyStream, ErrorLinesEndTheReplyAndGarbageIsCorrupt) {
  const StreamedGetReply error = parseGetReplyStream("CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(error.status, Status::kComplete);
  EXPECT_EQ(error.error_line, "CLIENT_ERROR bad command line format");
  EXPECT_EQ(parseGetReplyStream("VALUE a 0 3\r\nabcdeEND\r\n").status, Status::kCorrupt);
  EXPECT_EQ(parseGetReplyStream("HELLO\r\n").status, Status::kCorrupt);
  EXPECT_EQ(parseGetReplyStream(std::string(600, 'x')).status, Status::kCorrupt);
}

// Lines of up to 512 bytes are read, longer ones are corrupt: an error line
// as well, and whether or not its "\r\n" came in the same read.
TEST(GetReplyStream, LineLengthLimitDoesNotDependOnReads) {
  const std::string fits = "SERVER_ERROR " + std::string(512 - 13, 'x') + "\r\n";
  EXPECT_EQ(parseGetReplyStream(fits).status, Status::kComplete);
  EXPECT_EQ(parseGetReplyStream(fits.substr(0, fits.size() - 1)).status, Status::kNeedMore);
  const std::string over = "SERVER_ERROR " + std::string(513 - 13, 'x') + "\r\n";
  EXPECT_EQ(parseGetReplyStream(over).status, Status::kCorrupt);
  EXPECT_EQ(parseGetReplyStream(over.substr(0, over.size() - 1)).status, Status::kCorrupt);
}

// A byte count beyond any memcached value is corrupt at once, not a reply
// to wait a gigabyte for; up to 1 GiB (-I's limit) it is waited for.
TEST(GetReplyStream, ByteCountsOverOneGibibyteAreCorrupt) {
  EXPECT_EQ(parseGetReplyStream("VALUE a 0 1073741824\r\nabc").status, Status::kNeedMore);
  EXPECT_EQ(parseGetReplyStream("VALUE a 0 1073741825\r\nabc").status, Status::kCorrupt);
  EXPECT_EQ(parseGetReplyStream("VALUE a 0 18446744073709551614\r\nEND\r\n").status, Status::kCorrupt);
  EXPECT_FALSE(parseValueLine("VALUE a 0 1073741825"));
  EXPECT_EQ(parseValueLine("VALUE a 0 1073741824")->bytes, kMaxValueBytes);
}

}  // namespace
}  // namespace unbuckle::client
