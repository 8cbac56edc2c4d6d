// TcpConnection against a listening socket of the test's own on 127.0.0.1:
// pipelined requests, replies split anywhere, a lost connection failing
// what is in flight, the reconnect backoff, and a close by the client.
#include "client/tcp_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "loopback_socket.h"

namespace unbuckle::client {
namespace {

using namespace std::chrono_literals;

class TcpConnectionTest : public ::testing::Test {
 protected:
  TcpConnectionTest() : listener_(boundLoopbackSocket(SOCK_STREAM, port_)) {
    EXPECT_EQ(listen(listener_.get(), 4), 0);
    address_ = resolveServer("127.0.0.1", port_);
    options_.reconnect_backoff_min = 200ms;
    options_.reconnect_backoff_max = 400ms;
  }

  FileDescriptor accept() {
    for (int i = 0; i < 1000; ++i) {
      connection_.progress();
      pollfd ready{listener_.get(), POLLIN, 0};
      if (::poll(&ready, 1, 1) == 1) return FileDescriptor(::accept(listener_.get(), nullptr, nullptr));
    }
    ADD_FAILURE() << "no connection";
    return FileDescriptor();
  }

  std::string readRequests(const FileDescriptor& peer, size_t bytes) {
    std::string got;
    for (int i = 0; i < 1000 && got.size() < bytes; ++i) {
      connection_.progress();
      char buffer[4096];
      const ssize_t n = recv(peer.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
      if (n > 0) got.append(buffer, static_cast<size_t>(n));
      std::this_thread::sleep_for(1ms);
    }
    return got;
  }

  std::vector<std::pair<uint64_t, CommandReply>> replies(size_t count) {
    std::vector<std::pair<uint64_t, CommandReply>> all;
    for (int i = 0; i < 1000 && all.size() < count; ++i) {
      connection_.progress();
      for (auto& reply : connection_.takeCompleted()) all.push_back(std::move(reply));
      std::this_thread::sleep_for(1ms);
    }
    return all;
  }

  uint16_t port_ = 0;  // set by the socket's initialiser, so declared first
  FileDescriptor listener_;
  ServerAddress address_;
  ClientOptions options_;
  TcpConnection connection_{address_, options_};
};

TEST_F(TcpConnectionTest, PipelinedRepliesComeBackInOrderWhereverTheyAreSplit) {
  connection_.queue(1, "set a 0 0 1\r\nx\r\n", CommandKind::kLine);
  connection_.queue(2, "get a\r\n", CommandKind::kValues);
  connection_.queue(3, "mg a v\r\n", CommandKind::kMeta);
  const FileDescriptor peer = accept();
  EXPECT_EQ(readRequests(peer, 31), "set a 0 0 1\r\nx\r\nget a\r\nmg a v\r\n");
  const std::string answer = "STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\nVA 1\r\nx\r\n";
  for (char byte : answer) {  // one byte per segment
    ASSERT_EQ(send(peer.get(), &byte, 1, MSG_NOSIGNAL), 1);
    connection_.progress();
  }
  const auto got = replies(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, 1u);
  EXPECT_EQ(got[0].second.bytes, "STORED\r\n");
  EXPECT_EQ(got[1].second.bytes, "VALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(got[2].first, 3u);
  EXPECT_EQ(got[2].second.bytes, "VA 1\r\nx\r\n");
  EXPECT_FALSE(connection_.busy());
}

TEST_F(TcpConnectionTest, ALostConnectionFailsWhatIsInFlightThenReconnectsAfterTheBackoff) {
  connection_.queue(1, "get a\r\n", CommandKind::kValues);
  connection_.queue(2, "get b\r\n", CommandKind::kValues);
  {
    const FileDescriptor peer = accept();
    readRequests(peer, 14);
  }  // closed by the server
  const auto failed = replies(2);
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_NE(failed[0].second.error.find("closed the connection"), std::string::npos) << failed[0].second.error;
  EXPECT_FALSE(failed[1].second.error.empty());

  // Within the backoff a request fails at once, without connecting.
  connection_.queue(3, "get c\r\n", CommandKind::kValues);
  const auto refused = connection_.takeCompleted();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].second.error.find("retrying in"), std::string::npos) << refused[0].second.error;

  std::this_thread::sleep_for(250ms);
  connection_.queue(4, "get d\r\n", CommandKind::kValues);
  const FileDescriptor peer = accept();
  EXPECT_EQ(readRequests(peer, 7), "get d\r\n");
  ASSERT_EQ(send(peer.get(), "END\r\n", 5, MSG_NOSIGNAL), 5);
  const auto got = replies(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, 4u);
  EXPECT_EQ(got[0].second.bytes, "END\r\n");
}

TEST_F(TcpConnectionTest, CloseFailsWhatIsInFlightAndTheNextRequestConnectsAtOnce) {
  connection_.queue(1, "get a\r\n", CommandKind::kValues);
  const FileDescriptor first = accept();
  readRequests(first, 7);
  connection_.close();
  const auto failed = connection_.takeCompleted();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].second.error.find("closed by the client"), std::string::npos) << failed[0].second.error;
  char byte = 0;
  EXPECT_EQ(recv(first.get(), &byte, 1, 0), 0);  // the server sees the close

  connection_.queue(2, "version\r\n", CommandKind::kLine);  // no backoff after a close
  EXPECT_TRUE(connection_.takeCompleted().empty());
  const FileDescriptor second = accept();
  EXPECT_EQ(readRequests(second, 9), "version\r\n");
  ASSERT_EQ(send(second.get(), "VERSION 1.6.18\r\n", 16, MSG_NOSIGNAL), 16);
  const auto got = replies(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second.bytes, "VERSION 1.6.18\r\n");
}

TEST_F(TcpConnectionTest, AnUnparseableOrUnrequestedReplyFailsTheConnection) {
  connection_.queue(1, "get a\r\n", CommandKind::kValues);
  const FileDescriptor peer = accept();
  readRequests(peer, 7);
  ASSERT_EQ(send(peer.get(), "STORED\r\n", 8, MSG_NOSIGNAL), 8);  // not a get reply
  const auto got = replies(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].second.error.find("unparseable reply"), std::string::npos) << got[0].second.error;
}

TEST_F(TcpConnectionTest, ARefusedConnectionFailsTheRequest) {
  listener_.reset();  // nothing listens on the port any more
  connection_.queue(1, "version\r\n", CommandKind::kLine);
  const auto got = replies(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].second.error.find("check that the server runs"), std::string::npos) << got[0].second.error;
}

}  // namespace
}  // namespace unbuckle::client
