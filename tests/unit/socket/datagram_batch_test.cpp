// DatagramBatch over loopback: what receivers get is the datagrams queued,
// byte for byte and in order, whether a long reply left in one UDP GSO send
// or one by one.
#include "socket/datagram_batch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "unbuckle/file_descriptor.h"
#include "unbuckle/mc_udp.h"

namespace unbuckle::net {
namespace {

class Receiver {
 public:
  explicit Receiver(bool gro) : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    address_.sin_family = AF_INET;
    address_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_.get(), reinterpret_cast<sockaddr*>(&address_), sizeof(address_)), 0);
    socklen_t length = sizeof(address_);
    getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address_), &length);
    const int buffer = 4 << 20;   // a whole batch waits here
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    const int one = 1;
    if (gro) {
      EXPECT_EQ(setsockopt(fd_.get(), SOL_UDP, UDP_GRO, &one, sizeof(one)), 0);
    }
  }

  sockaddr_storage address() const {
    sockaddr_storage storage{};
    std::memcpy(&storage, &address_, sizeof(address_));
    return storage;
  }

  // One receive: the bytes, and the GRO segment size if the kernel gave one.
  std::pair<std::string, int> receive() {
    pollfd ready{fd_.get(), POLLIN, 0};
    if (::poll(&ready, 1, 1000) != 1) return {};
    std::string buffer(65536, '\0');
    iovec data{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr header{};
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
    const ssize_t got = recvmsg(fd_.get(), &header, MSG_DONTWAIT);
    if (got < 0) return {};
    buffer.resize(static_cast<size_t>(got));
    int segment = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) std::memcpy(&segment, CMSG_DATA(c), sizeof(segment));
    }
    return {buffer, segment};
  }

 private:
  FileDescriptor fd_;
  sockaddr_in address_{};
};

class DatagramBatchTest : public ::testing::Test {
 protected:
  DatagramBatchTest() : sender_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)), batch_(sender_.get(), stats_) {}

  // A reply of `count` datagrams to `to`: all full but the last, each filled
  // with its own letter after a header naming its sequence number.
  std::vector<std::string> reply(const Receiver& to, size_t count, size_t last_data, char first_letter) {
    to_ = to.address();
    batch_.setRequestSource(to_, sizeof(sockaddr_in));
    batch_.startReply();
    std::vector<std::string> datagrams;
    for (size_t i = 0; i < count; ++i) {
      const std::string header = "hdr" + std::to_string(i) + std::string(MC_UDP_HEADER_SIZE, '.');
      const std::string data(i + 1 == count ? last_data : MC_UDP_DATA_SIZE, static_cast<char>(first_letter + i));
      batch_.write(std::string_view(header).substr(0, MC_UDP_HEADER_SIZE), data);
      datagrams.push_back(header.substr(0, MC_UDP_HEADER_SIZE) + data);
    }
    return datagrams;
  }

  FileDescriptor sender_;
  proto::WorkerStats stats_{};
  DatagramBatch batch_;
  sockaddr_storage to_{};
};

TEST_F(DatagramBatchTest, ALongReplyArrivesAsTheSameDatagramsInOrder) {
  Receiver plain(false);
  const std::vector<std::string> sent = reply(plain, 6, 100, 'a');
  batch_.flush();
  for (const std::string& datagram : sent) EXPECT_EQ(plain.receive().first, datagram);
  EXPECT_EQ(stats_.udp_datagrams_out.load(), 6u);
  EXPECT_EQ(stats_.bytes_written.load(), 5u * MC_UDP_MAX_PAYLOAD + MC_UDP_HEADER_SIZE + 100);
}

TEST_F(DatagramBatchTest, ALongReplyLeavesInOneSegmentedSend) {
  Receiver gro(true);   // on loopback a GSO send reaches a GRO socket whole
  const std::vector<std::string> sent = reply(gro, 4, 7, 'a');
  batch_.flush();
  const auto [bytes, segment] = gro.receive();
  EXPECT_EQ(segment, MC_UDP_MAX_PAYLOAD);
  std::string joined;
  for (const std::string& datagram : sent) joined += datagram;
  EXPECT_EQ(bytes, joined);
  EXPECT_EQ(stats_.udp_datagrams_out.load(), 4u);
}

TEST_F(DatagramBatchTest, RunsEndAtAShortDatagramAndAtAnotherDestination) {
  Receiver first(false);
  Receiver second(false);
  std::vector<std::string> to_first = reply(first, 2, 30, 'a');   // full, short
  const std::vector<std::string> more = reply(first, 3, MC_UDP_DATA_SIZE, 'k');   // all full
  to_first.insert(to_first.end(), more.begin(), more.end());
  const std::vector<std::string> to_second = reply(second, 2, 10, 'x');
  batch_.flush();
  for (const std::string& datagram : to_first) EXPECT_EQ(first.receive().first, datagram);
  for (const std::string& datagram : to_second) EXPECT_EQ(second.receive().first, datagram);
  EXPECT_EQ(stats_.udp_datagrams_out.load(), 7u);
}

TEST_F(DatagramBatchTest, SameSizeDatagramsLeaveTogetherALongerOneAfter) {
  Receiver gro(true);
  to_ = gro.address();
  batch_.setRequestSource(to_, sizeof(sockaddr_in));
  batch_.startReply();
  const std::string header(MC_UDP_HEADER_SIZE, 'h');
  for (char letter = 'a'; letter < 'f'; ++letter) batch_.write(header, std::string(120, letter));
  batch_.write(header, std::string(130, 'z'));   // a multi-get's last hit, END appended
  batch_.flush();
  const auto [five, segment] = gro.receive();
  EXPECT_EQ(segment, MC_UDP_HEADER_SIZE + 120);
  EXPECT_EQ(five.size(), 5u * (MC_UDP_HEADER_SIZE + 120));
  EXPECT_EQ(five.substr(4 * (MC_UDP_HEADER_SIZE + 120)), header + std::string(120, 'e'));
  EXPECT_EQ(gro.receive().first, header + std::string(130, 'z'));
  EXPECT_EQ(stats_.udp_datagrams_out.load(), 6u);
  EXPECT_EQ(stats_.bytes_written.load(), 6u * MC_UDP_HEADER_SIZE + 5 * 120 + 130);
}

TEST_F(DatagramBatchTest, AFullBatchIsSentAndTheNextOneFollows) {
  Receiver plain(false);
  const std::vector<std::string> sent = reply(plain, DatagramBatch::kSize + 3, 1, ' ');
  batch_.flush();
  for (const std::string& datagram : sent) ASSERT_EQ(plain.receive().first, datagram);
  EXPECT_EQ(stats_.udp_datagrams_out.load(), DatagramBatch::kSize + 3);
}

}  // namespace
}  // namespace unbuckle::net
