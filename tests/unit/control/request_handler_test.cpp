#include "control/request_handler.h"

#include <gtest/gtest.h>

#include "fake_daemon_control.h"

namespace unbuckle::control {
namespace {

TEST(RequestHandlerTest, AnswersEachCommand) {
  FakeDaemonControl control;
  control.status_value.backend = "socket";
  control.status_value.items = 3;
  EXPECT_EQ(answerRequest("attach eth1 --queues 2", control), "OK\nattached eth1\nEND\n");
  ASSERT_EQ(control.attached.size(), 1u);
  EXPECT_EQ(control.attached[0].queues, 2u);
  EXPECT_EQ(answerRequest("attach eth9", control), "ERROR no such interface eth9\n");
  EXPECT_EQ(answerRequest("detach eth1", control), "ERROR eth1 is not attached\n");
  const std::string status = answerRequest("status", control);
  EXPECT_TRUE(status.starts_with("OK\nversion: ")) << status;
  EXPECT_NE(status.find("\nitems: 3\n"), std::string::npos) << status;
  EXPECT_TRUE(status.ends_with("\nEND\n")) << status;
  EXPECT_EQ(answerRequest("stats", control), "OK\nSTAT pid 1\nEND\n");
  EXPECT_EQ(answerRequest("stats --json", control), "OK\n{\"pid\": 1}\nEND\n");
  EXPECT_EQ(answerRequest("log-level debug", control), "OK\nlog level debug, was info\nEND\n");
  EXPECT_EQ(answerRequest("log-level loud", control), "ERROR no log level 'loud'\n");
  EXPECT_EQ(answerRequest("allow", control), "OK\n10.0.0.0/8\nEND\n");
  EXPECT_TRUE(control.allowed.empty());
  EXPECT_EQ(answerRequest("allow 192.168.0.0/16 ::1", control), "OK\nallow list replaced\nEND\n");
  ASSERT_EQ(control.allowed.size(), 1u);
  EXPECT_EQ(control.allowed[0],
            (std::vector{*config::Cidr::parse("192.168.0.0/16"), *config::Cidr::parse("::1/128")}));
}

TEST(RequestHandlerTest, MalformedRequestsNeverReachTheDaemon) {
  FakeDaemonControl control;
  EXPECT_EQ(answerRequest("attach eth1 --queues many", control),
            "ERROR attach: --queues needs a number from 1 to 1024\n");
  EXPECT_EQ(answerRequest("shutdown", control),
            "ERROR unknown command 'shutdown' (attach, detach, status, stats, log-level, allow)\n");
  EXPECT_EQ(answerRequest("allow 0.0.0.0/0 nonsense", control),
            "ERROR allow: 'nonsense' is not a network (ADDR/LEN or ADDR, IPv4 or IPv6, no host bits set)\n");
  EXPECT_TRUE(control.allowed.empty());
  EXPECT_TRUE(control.attached.empty());
}

}  // namespace
}  // namespace unbuckle::control
