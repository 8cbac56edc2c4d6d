#include "control/control_protocol.h"

#include <gtest/gtest.h>

namespace unbuckle::control {
namespace {

Request attach(std::string interface, std::optional<uint32_t> queues = {},
               std::optional<config::XdpMode> xdp_mode = {}, std::optional<config::ZeroCopy> zero_copy = {}) {
  return AttachRequest{std::move(interface), queues, xdp_mode, zero_copy};
}

Request parsed(std::string_view line) {
  auto request = parseRequest(line);
  EXPECT_TRUE(request.ok()) << line << ": " << request.error();
  return request.ok() ? request.value() : Request{};
}

std::string refusal(std::string_view line) {
  auto request = parseRequest(line);
  EXPECT_FALSE(request.ok()) << line;
  return request.ok() ? std::string() : request.error();
}

TEST(ControlProtocolTest, ParsesEveryCommand) {
  EXPECT_EQ(parsed("attach eth1"), attach("eth1"));
  EXPECT_EQ(parsed("attach eth1 --queues 4 --xdp-mode native --zerocopy off"),
            attach("eth1", 4u, config::XdpMode::kNative, config::ZeroCopy::kOff));
  EXPECT_EQ(parsed("detach eth1"), Request{DetachRequest{"eth1"}});
  EXPECT_EQ(parsed("status"), Request{StatusRequest{}});
  EXPECT_EQ(parsed("stats"), Request{StatsRequest{false}});
  EXPECT_EQ(parsed("stats --json"), Request{StatsRequest{true}});
  EXPECT_EQ(parsed("log-level debug"), Request{LogLevelRequest{"debug"}});
  EXPECT_EQ(parsed("allow"), Request{AllowRequest{}});
  EXPECT_EQ(parsed("allow 10.0.0.0/8 fd00::1"),
            (Request{AllowRequest{{*config::Cidr::parse("10.0.0.0/8"), *config::Cidr::parse("fd00::1/128")}}}));
  // A line end from a terminal, extra blanks.
  EXPECT_EQ(parsed("  status \r"), Request{StatusRequest{}});
}

TEST(ControlProtocolTest, RefusesWithTheReason) {
  EXPECT_EQ(refusal(""), "empty request");
  EXPECT_EQ(refusal("stop"), "unknown command 'stop' (attach, detach, status, stats, log-level, allow)");
  EXPECT_EQ(refusal("attach"), "attach needs an interface name");
  EXPECT_EQ(refusal("attach a/b"), "'a/b' is not an interface name");
  EXPECT_EQ(refusal("attach averyveryverylongname"), "'averyveryverylongname' is not an interface name");
  EXPECT_EQ(refusal("attach eth1 --queues 0"), "attach: --queues needs a number from 1 to 1024");
  EXPECT_EQ(refusal("attach eth1 --queues 2x"), "attach: --queues needs a number from 1 to 1024");
  EXPECT_EQ(refusal("attach eth1 --queues"), "attach: --queues needs a value");
  EXPECT_EQ(refusal("attach eth1 --xdp-mode generic"), "attach: --xdp-mode is auto, native or skb");
  EXPECT_EQ(refusal("attach eth1 --zerocopy yes"), "attach: --zerocopy is auto, on or off");
  EXPECT_EQ(refusal("attach eth1 --fast 1"), "attach: unknown option '--fast' (--queues, --xdp-mode, --zerocopy)");
  EXPECT_EQ(refusal("detach"), "detach needs an interface name");
  EXPECT_EQ(refusal("detach eth1 eth2"), "detach: unexpected 'eth2'");
  EXPECT_EQ(refusal("status now"), "status: unexpected 'now'");
  EXPECT_EQ(refusal("stats --xml"), "stats: unexpected '--xml'");
  EXPECT_EQ(refusal("log-level"), "log-level needs a level");
  EXPECT_EQ(refusal("allow 10.0.0.1/8"),
            "allow: '10.0.0.1/8' is not a network (ADDR/LEN or ADDR, IPv4 or IPv6, no host bits set)");
  EXPECT_EQ(refusal(std::string(kMaxRequestLine + 1, 's')), "request longer than 1024 bytes");
}

TEST(ControlProtocolTest, FormattedRequestsParseBack) {
  for (const Request& request :
       {attach("eth1", 2u, config::XdpMode::kSkb, config::ZeroCopy::kOn),
        attach("lo", {}, {}, config::ZeroCopy::kAuto), Request{DetachRequest{"veth0"}},
        Request{StatusRequest{}}, Request{StatsRequest{true}}, Request{LogLevelRequest{"warn"}},
        Request{AllowRequest{}}, Request{AllowRequest{{*config::Cidr::parse("::/0"), *config::Cidr::parse("127.0.0.0/8")}}}}) {
    const std::string line = formatRequest(request);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(parsed(std::string_view(line).substr(0, line.size() - 1)), request) << line;
  }
  EXPECT_EQ(formatRequest(attach("eth1", 4u, config::XdpMode::kNative)),
            "attach eth1 --queues 4 --xdp-mode native\n");
}

TEST(ControlProtocolTest, Replies) {
  EXPECT_EQ(okReply(""), "OK\nEND\n");
  EXPECT_EQ(okReply("a: 1\nb: 2\n"), "OK\na: 1\nb: 2\nEND\n");
  EXPECT_EQ(okReply("no line end"), "OK\nno line end\nEND\n");
  EXPECT_EQ(errorReply("eth1 is already attached"), "ERROR eth1 is already attached\n");
  EXPECT_EQ(errorReply("two\nlines"), "ERROR two lines\n");
}

TEST(ControlProtocolTest, ParsesRepliesAsTheyArrive) {
  const std::string ok = okReply("STAT pid 1\nSTAT ENDING 2\n");
  for (size_t cut = 0; cut < ok.size(); ++cut) {
    EXPECT_EQ(parseReply(ok.substr(0, cut)).state, Reply::State::kIncomplete) << cut;
  }
  Reply reply = parseReply(ok + "OK\n");
  EXPECT_EQ(reply.state, Reply::State::kOk);
  EXPECT_EQ(reply.text, "STAT pid 1\nSTAT ENDING 2\n");
  EXPECT_EQ(reply.length, ok.size());

  reply = parseReply("ERROR no such interface eth9\n");
  EXPECT_EQ(reply.state, Reply::State::kError);
  EXPECT_EQ(reply.text, "no such interface eth9");
  EXPECT_EQ(parseReply("ERR").state, Reply::State::kIncomplete);
  EXPECT_EQ(parseReply("HTTP/1.1 200").state, Reply::State::kMalformed);
  EXPECT_EQ(parseReply("OKAY\n").state, Reply::State::kMalformed);
}

}  // namespace
}  // namespace unbuckle::control
