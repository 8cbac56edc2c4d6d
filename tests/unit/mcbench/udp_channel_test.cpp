// UdpChannel against a socket on 127.0.0.1 that plays the server with
// hand-made datagrams.
#include "mcbench/udp_channel.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "unbuckle/file_descriptor.h"
#include "unbuckle/mc_udp.h"

namespace unbuckle::mcbench {
namespace {

class FakeServer {
 public:
  FakeServer() : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    endpoint_.address = address.sin_addr;
    endpoint_.port = ntohs(address.sin_port);
    timeval tv{2, 0};
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  const Endpoint& endpoint() const { return endpoint_; }

  // Receives one request: its header and payload.
  std::pair<FrameHeader, std::string> receive() {
    char buffer[2048];
    socklen_t length = sizeof(client_);
    const ssize_t got = recvfrom(fd_.get(), buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&client_), &length);
    EXPECT_GE(got, MC_UDP_HEADER_SIZE);
    const std::string_view datagram(buffer, static_cast<size_t>(std::max<ssize_t>(got, 0)));
    return {parseFrameHeader(datagram).value_or(FrameHeader{}), std::string(datagram.substr(MC_UDP_HEADER_SIZE))};
  }

  void send(const FrameHeader& header, std::string_view payload) {
    std::string datagram(MC_UDP_HEADER_SIZE, '\0');
    writeFrameHeader(header, datagram.data());
    datagram += payload;
    sendto(fd_.get(), datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&client_),
           sizeof(client_));
  }

 private:
  FileDescriptor fd_;
  Endpoint endpoint_;
  sockaddr_in client_{};
};

// Collects replies until `count` have arrived or 2 s passed.
std::map<uint32_t, std::string> receiveReplies(UdpChannel& channel, size_t count,
                                               std::vector<uint32_t>* bad = nullptr) {
  std::map<uint32_t, std::string> replies;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (replies.size() + (bad ? bad->size() : 0) < count && std::chrono::steady_clock::now() < deadline) {
    for (const UdpReply& reply : channel.receive(true)) {
      if (reply.bad_frame && bad) {
        bad->push_back(reply.slot);
      } else {
        replies[reply.slot] = std::string(reply.message);
      }
    }
  }
  return replies;
}

TEST(UdpChannel, MatchesRepliesToSlotsByRequestId) {
  FakeServer server;
  UdpChannel channel(server.endpoint(), 4, 100);
  channel.queue(0, "get a\r\n");
  channel.queue(3, "get b\r\n");
  EXPECT_EQ(channel.queued(), 2u);
  EXPECT_TRUE(channel.flush().empty());
  EXPECT_EQ(channel.queued(), 0u);

  const auto [first, first_payload] = server.receive();
  const auto [second, second_payload] = server.receive();
  EXPECT_EQ(first_payload, "get a\r\n");
  EXPECT_EQ(second_payload, "get b\r\n");
  EXPECT_EQ(first.sequence, 0);
  EXPECT_EQ(first.total, 1);
  EXPECT_NE(first.request_id, second.request_id);

  // Slot 3's reply in two datagrams, last one first; slot 0's whole; and a
  // datagram for an id that is not in flight.
  server.send(FrameHeader{second.request_id, 1, 2, 0}, "END\r\n");
  server.send(FrameHeader{static_cast<uint16_t>(second.request_id + 100), 0, 1, 0}, "END\r\n");
  server.send(FrameHeader{first.request_id, 0, 1, 0}, "END\r\n");
  server.send(FrameHeader{second.request_id, 0, 2, 0}, "VALUE b 0 1\r\nx\r\n");

  const auto replies = receiveReplies(channel, 2);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies.at(0), "END\r\n");
  EXPECT_EQ(replies.at(3), "VALUE b 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(channel.takeStray(), 1u);
  EXPECT_EQ(channel.takeStray(), 0u);
}

TEST(UdpChannel, ForgottenRequestsAndRepeatsAreStray) {
  FakeServer server;
  UdpChannel channel(server.endpoint(), 2, 100);
  channel.queue(1, "get a\r\n");
  ASSERT_TRUE(channel.flush().empty());
  const auto [request, payload] = server.receive();
  channel.forget(1);  // the caller's timeout
  server.send(FrameHeader{request.request_id, 0, 1, 0}, "END\r\n");
  server.send(FrameHeader{request.request_id, 0, 1, 0}, "END\r\n");

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  uint64_t stray = 0;
  while (stray < 2 && std::chrono::steady_clock::now() < deadline) {
    EXPECT_TRUE(channel.receive(true).empty());
    stray += channel.takeStray();
  }
  EXPECT_EQ(stray, 2u);
}

TEST(UdpChannel, InconsistentFramesAreReportedOnce) {
  FakeServer server;
  UdpChannel channel(server.endpoint(), 2, 100);
  channel.queue(0, "get a\r\n");
  ASSERT_TRUE(channel.flush().empty());
  const auto [request, payload] = server.receive();
  server.send(FrameHeader{request.request_id, 0, 2, 0}, "VALUE");
  server.send(FrameHeader{request.request_id, 1, 3, 0}, " a");   // total changed
  server.send(FrameHeader{request.request_id, 2, 3, 0}, "...");  // after the slot gave up: stray

  std::vector<uint32_t> bad;
  const auto replies = receiveReplies(channel, 1, &bad);
  EXPECT_TRUE(replies.empty());
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0], 0u);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  uint64_t stray = 0;
  while (stray < 1 && std::chrono::steady_clock::now() < deadline) {
    channel.receive(true);
    stray += channel.takeStray();
  }
  EXPECT_EQ(stray, 1u);
}

}  // namespace
}  // namespace unbuckle::mcbench
