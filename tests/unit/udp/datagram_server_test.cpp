#include "udp/datagram_server.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/engine.h"
#include "recording_writer.h"
#include "store/clock.h"
#include "store/store.h"
#include "unbuckle/mc_udp_frame.h"

namespace unbuckle::udp {
namespace {

std::string request(uint16_t id, std::string_view text) {
  std::string datagram(MC_UDP_HEADER_SIZE, '\0');
  writeFrameHeader(FrameHeader{id, 0, 1, 0}, datagram.data());
  return datagram.append(text);
}

SourceAddress host(uint8_t a, uint8_t last) {
  const uint8_t bytes[4] = {a, 0, 0, last};
  return SourceAddress::ipv4(bytes);
}

struct DatagramServerTest : ::testing::Test {
  AllowList allow{{*config::Cidr::parse("10.0.0.0/8")}};
  store::ManualClock clock;
  store::Store store{store::StoreConfig{}, clock};
  proto::StatsRegistry registry;
  proto::Engine engine{store, proto::EngineConfig{}, registry};
  proto::WorkerStats& stats = registry.addWorker();
  RecordingWriter writer;

  DatagramServerSettings settings(bool admin = false) {
    DatagramServerSettings s;
    s.allow = &allow;
    s.max_reply_bytes = 1 << 20;
    s.budget = {1000, 3000};
    s.admin_commands = admin;
    return s;
  }
};

TEST_F(DatagramServerTest, AnswersNumberedAndFramed) {
  DatagramServer server(writer, engine, stats, settings());
  server.serve(request(0x0102, "version\r\n"), host(10, 1), 1);
  ASSERT_EQ(writer.datagrams.size(), 1u);
  const FrameHeader header = readFrameHeader(writer.datagrams[0].data());
  EXPECT_EQ(header.request_id, 0x0102);
  EXPECT_EQ(header.sequence, 0);
  EXPECT_EQ(header.total, 1);
  EXPECT_TRUE(writer.datagrams[0].substr(MC_UDP_HEADER_SIZE).starts_with("VERSION "));
}

TEST_F(DatagramServerTest, DropsSourcesOutsideTheAllowList) {
  DatagramServer server(writer, engine, stats, settings());
  server.serve(request(1, "version\r\n"), host(192, 1), 1);
  EXPECT_TRUE(writer.datagrams.empty());
  EXPECT_EQ(stats.udp_dropped_denied, 1u);
}

TEST_F(DatagramServerTest, DropsOverBudgetAndServesOtherSources) {
  // A fixed reply of about 2000 bytes against a bucket of 3000.
  const std::string value(2000, 'x');
  DatagramServerSettings fixed = settings();
  const std::string reply = "VALUE k 0 2000\r\n" + value + "\r\nEND\r\n";
  fixed.fixed_reply = &reply;
  DatagramServer big(writer, engine, stats, fixed);
  big.serve(request(1, "get k\r\n"), host(10, 1), 1);   // 3000 -> about 1000
  big.serve(request(2, "get k\r\n"), host(10, 1), 1);   // served, below zero
  const size_t sent = writer.datagrams.size();
  big.serve(request(3, "get k\r\n"), host(10, 1), 1);   // refused
  EXPECT_EQ(writer.datagrams.size(), sent);
  EXPECT_EQ(stats.udp_dropped_over_budget, 1u);
  big.serve(request(4, "get k\r\n"), host(10, 2), 1);   // another source
  EXPECT_GT(writer.datagrams.size(), sent);
  // Refilled after long enough: 1000 bytes a second.
  big.serve(request(5, "get k\r\n"), host(10, 1), 1 + 3'000'000'000ull);
  EXPECT_EQ(stats.udp_dropped_over_budget, 1u);
}

TEST_F(DatagramServerTest, StartsAReplyOnlyForAnAnsweredRequestAndBeforeItsDatagrams) {
  // A fixed reply of about 2000 bytes against a bucket of 3000.
  DatagramServerSettings fixed = settings();
  const std::string reply = "VALUE k 0 2000\r\n" + std::string(2000, 'x') + "\r\nEND\r\n";
  fixed.fixed_reply = &reply;
  DatagramServer server(writer, engine, stats, fixed);
  // Dropped before any reply work: a source outside the allow list, a
  // datagram no longer than its frame header, one of several.
  server.serve(request(1, "get k\r\n"), host(192, 1), 1);
  server.serve(request(2, ""), host(10, 1), 1);
  std::string first_of_two = request(3, "get k\r\n");
  writeFrameHeader(FrameHeader{3, 0, 2, 0}, first_of_two.data());
  server.serve(first_of_two, host(10, 1), 1);
  EXPECT_EQ(writer.replies, 0u);
  EXPECT_TRUE(writer.datagrams.empty());
  EXPECT_EQ(stats.udp_dropped_denied, 1u);
  EXPECT_EQ(stats.udp_dropped_short, 1u);
  EXPECT_EQ(stats.udp_dropped_multipacket, 1u);
  // Answered: one reply started, before its first datagram; the second
  // takes the bucket below zero.
  server.serve(request(4, "get k\r\n"), host(10, 1), 1);
  EXPECT_EQ(writer.replies, 1u);
  EXPECT_EQ(writer.datagrams_at_reply, 0u);
  const size_t sent = writer.datagrams.size();
  EXPECT_GT(sent, 0u);
  server.serve(request(5, "get k\r\n"), host(10, 1), 1);
  EXPECT_EQ(writer.replies, 2u);
  EXPECT_EQ(writer.datagrams_at_reply, sent);
  // Over budget: dropped, no reply started.
  server.serve(request(6, "get k\r\n"), host(10, 1), 1);
  EXPECT_EQ(stats.udp_dropped_over_budget, 1u);
  EXPECT_EQ(writer.replies, 2u);
  EXPECT_EQ(writer.datagrams.size(), 2 * sent);
}

TEST_F(DatagramServerTest, RefusesAdminCommandsUnlessAllowed) {
  DatagramServer server(writer, engine, stats, settings(false));
  for (const char* command : {"stats", "flush_all", "verbosity 1", "shutdown", "lru_crawler enable",
                              "watch", "me key"}) {
    writer.datagrams.clear();
    server.serve(request(1, std::string(command) + "\r\n"), host(10, 1), 1);
    const std::string name(std::string_view(command).substr(0, std::string_view(command).find(' ')));
    ASSERT_EQ(writer.datagrams.size(), 1u) << command;
    EXPECT_EQ(writer.datagrams[0].substr(MC_UDP_HEADER_SIZE), "CLIENT_ERROR " + name + " not allowed over UDP\r\n");
  }
  DatagramServer admin(writer, engine, stats, settings(true));
  writer.datagrams.clear();
  admin.serve(request(1, "stats\r\n"), host(10, 3), 1);
  ASSERT_FALSE(writer.datagrams.empty());
  EXPECT_TRUE(writer.datagrams[0].substr(MC_UDP_HEADER_SIZE).starts_with("STAT pid "));
}

}  // namespace
}  // namespace unbuckle::udp
