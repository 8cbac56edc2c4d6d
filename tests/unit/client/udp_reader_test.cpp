// UdpReader against a fake server: a UDP socket on 127.0.0.1 in the test
// that reads the client's requests and answers with datagrams made by hand,
// in any order, duplicated, lost, or from nowhere.
#include "client/udp_reader.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "loopback_socket.h"
#include "unbuckle/mc_udp.h"
#include "unbuckle/mc_udp_frame.h"

namespace unbuckle::client {
namespace {

using namespace std::chrono_literals;

struct Request {
  uint16_t id = 0;
  std::string payload;
  sockaddr_in from{};
};

class FakeServer {
 public:
  FakeServer() : fd_(boundLoopbackSocket(SOCK_DGRAM, port_)) {}
  uint16_t port() const { return port_; }

  // The next request, waiting up to 1 s while `reader` makes progress.
  Request receive(UdpReader& reader) {
    for (int i = 0; i < 1000; ++i) {
      reader.progress();
      pollfd ready{fd_.get(), POLLIN, 0};
      if (::poll(&ready, 1, 1) == 1) {
        char buffer[2048];
        Request request;
        socklen_t length = sizeof(request.from);
        const ssize_t got =
            recvfrom(fd_.get(), buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&request.from), &length);
        const auto header = parseFrameHeader(std::string_view(buffer, static_cast<size_t>(got)));
        request.id = header->request_id;
        request.payload.assign(buffer + MC_UDP_HEADER_SIZE, static_cast<size_t>(got) - MC_UDP_HEADER_SIZE);
        return request;
      }
    }
    ADD_FAILURE() << "no request arrived";
    return {};
  }

  void send(const Request& to, uint16_t id, uint16_t seq, uint16_t total, std::string_view payload) {
    std::string datagram(MC_UDP_HEADER_SIZE, '\0');
    writeFrameHeader(FrameHeader{id, seq, total, 0}, datagram.data());
    datagram += payload;
    sendto(fd_.get(), datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&to.from),
           sizeof(to.from));
  }

  // `message` cut into datagrams of 1392 bytes, as memcached does, sent in
  // the order `order` gives (indexes; repeats are duplicates; absent = lost).
  void sendMessage(const Request& to, std::string_view message, std::vector<size_t> order = {}) {
    const size_t total = std::max<size_t>(1, (message.size() + MC_UDP_DATA_SIZE - 1) / MC_UDP_DATA_SIZE);
    if (order.empty()) {
      for (size_t i = 0; i < total; ++i) order.push_back(i);
    }
    for (const size_t seq : order) {
      send(to, to.id, static_cast<uint16_t>(seq), static_cast<uint16_t>(total),
           message.substr(seq * MC_UDP_DATA_SIZE, MC_UDP_DATA_SIZE));
    }
  }

  // `message` cut as sendMessage cuts it, sent in one sendmsg with UDP GSO:
  // on loopback the client's socket receives it as one buffer of
  // datagrams, as GRO hands over a run of them from a NIC.
  bool sendMessageAsOneBurst(const Request& to, std::string_view message) {
    const size_t total = (message.size() + MC_UDP_DATA_SIZE - 1) / MC_UDP_DATA_SIZE;
    std::string burst;
    for (size_t seq = 0; seq < total; ++seq) {
      char header[MC_UDP_HEADER_SIZE];
      writeFrameHeader(FrameHeader{to.id, static_cast<uint16_t>(seq), static_cast<uint16_t>(total), 0}, header);
      burst.append(header, sizeof(header));
      burst += message.substr(seq * MC_UDP_DATA_SIZE, MC_UDP_DATA_SIZE);
    }
    iovec data{burst.data(), burst.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint16_t))] = {};
    msghdr header{};
    header.msg_name = const_cast<sockaddr_in*>(&to.from);
    header.msg_namelen = sizeof(to.from);
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
    cmsghdr* segment = CMSG_FIRSTHDR(&header);
    segment->cmsg_level = SOL_UDP;
    segment->cmsg_type = UDP_SEGMENT;
    segment->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    const uint16_t size = MC_UDP_HEADER_SIZE + MC_UDP_DATA_SIZE;
    std::memcpy(CMSG_DATA(segment), &size, sizeof(size));
    return sendmsg(fd_.get(), &header, 0) == static_cast<ssize_t>(burst.size());
  }

 private:
  uint16_t port_ = 0;  // set by the socket's initialiser, so declared first
  FileDescriptor fd_;
};

class UdpReaderTest : public ::testing::Test {
 protected:
  UdpReaderTest() : address_(resolveServer("127.0.0.1", server_.port())), reader_(address_, options_) {}

  std::optional<GetResult> waitFor(uint64_t ticket, std::chrono::milliseconds limit = 2000ms) {
    return waitFor(reader_, ticket, limit);
  }
  static std::optional<GetResult> waitFor(UdpReader& reader, uint64_t ticket, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      reader.progress();
      if (auto result = reader.take(ticket)) return result;
      pollfd ready{reader.fd(), POLLIN, 0};
      ::poll(&ready, 1, 1);
    }
    return std::nullopt;
  }

  static std::string value(char fill, size_t size) { return std::string(size, fill); }

  FakeServer server_;
  ClientOptions options_ = [] {
    ClientOptions options;
    options.udp_timeout = 100ms;
    return options;
  }();
  ServerAddress address_;
  UdpReader reader_;
};

TEST_F(UdpReaderTest, SingleKeyHitAndMiss) {
  const std::vector<std::string> keys = {"k"};
  reader_.start(1, keys, false);
  const Request request = server_.receive(reader_);
  EXPECT_EQ(request.payload, "get k\r\n");
  server_.sendMessage(request, "VALUE k 3 2\r\nhi\r\nEND\r\n");
  const auto hit = waitFor(1);
  ASSERT_TRUE(hit);
  EXPECT_FALSE(hit->timed_out);
  EXPECT_EQ(hit->items.at("k").value, "hi");
  EXPECT_EQ(hit->items.at("k").flags, 3u);

  reader_.start(2, keys, true);
  const Request again = server_.receive(reader_);
  EXPECT_EQ(again.payload, "gets k\r\n");
  EXPECT_NE(again.id, request.id);
  server_.sendMessage(again, "END\r\n");
  const auto miss = waitFor(2);
  ASSERT_TRUE(miss);
  EXPECT_TRUE(miss->items.empty());
  EXPECT_FALSE(miss->timed_out);
}

TEST_F(UdpReaderTest, LargeValueInAnyOrderWithDuplicatesAndStrays) {
  const std::string big = value('b', 100000);  // 72 datagrams
  const std::string message = "VALUE big 0 100000 5\r\n" + big + "\r\nEND\r\n";
  const std::vector<std::string> keys = {"big"};
  reader_.start(1, keys, true);
  const Request request = server_.receive(reader_);
  std::vector<size_t> order;
  const size_t total = (message.size() + MC_UDP_DATA_SIZE - 1) / MC_UDP_DATA_SIZE;
  for (size_t i = total; i-- > 0;) order.push_back(i);
  order.insert(order.begin() + 10, 3);  // a duplicate
  Request stranger = request;
  stranger.id = static_cast<uint16_t>(request.id + 1000);
  server_.sendMessage(stranger, "VALUE big 0 3\r\nbad\r\nEND\r\n");  // a stray
  server_.sendMessage(request, message, order);
  const auto result = waitFor(1);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->items.at("big").value, big);
  EXPECT_EQ(result->items.at("big").cas, 5u);
  EXPECT_GE(reader_.strays(), 1u);
}

TEST_F(UdpReaderTest, ASinkGetsEachHitOnceAndTheResultNoItems) {
  std::vector<std::string> seen;
  const ValueSink sink = [&seen](const ValueView& value) {
    seen.push_back(std::string(value.key) + " " + std::to_string(value.flags) + " " +
                   std::to_string(value.value.size()) + " " + std::to_string(value.cas));
  };
  const std::vector<std::string> keys = {"a", "b", "c"};
  reader_.start(1, keys, true, sink);
  const Request request = server_.receive(reader_);
  EXPECT_EQ(request.payload, "gets a b c\r\n");
  server_.sendMessage(request, "VALUE a 1 2 11\r\nxa\r\n");
  server_.sendMessage(request, "VALUE a 1 2 11\r\nxa\r\n");  // a duplicate
  server_.sendMessage(request, "VALUE c 3 0 13\r\n\r\nEND\r\n");
  const auto result = waitFor(1);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->items.empty());
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(seen, (std::vector<std::string>{"a 1 2 11", "c 3 0 13"}));

  // A value of many datagrams, reordered, reaches the sink whole, once.
  const std::string big = value('s', 20000);
  const std::string message = "VALUE big 9 20000\r\n" + big + "\r\nEND\r\n";
  const std::vector<std::string> one = {"big"};
  std::string got;
  reader_.start(2, one, false, [&got](const ValueView& value) { got += value.value; });
  const Request again = server_.receive(reader_);
  server_.sendMessage(again, message, {3, 2, 1, 0, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 4});
  ASSERT_TRUE(waitFor(2));
  EXPECT_EQ(got, big);
}

TEST_F(UdpReaderTest, DatagramsJoinedByGroAreSplitAgain) {
  const std::string big = value('g', 5000);  // 4 datagrams in one buffer
  const std::vector<std::string> keys = {"big"};
  reader_.start(1, keys, false);
  const Request request = server_.receive(reader_);
  ASSERT_TRUE(server_.sendMessageAsOneBurst(request, "VALUE big 7 5000\r\n" + big + "\r\nEND\r\n"));
  const auto result = waitFor(1);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->items.at("big").value, big);
  EXPECT_EQ(result->items.at("big").flags, 7u);
  EXPECT_EQ(reader_.strays(), 0u);
}

TEST_F(UdpReaderTest, ALostDatagramIsAMissAfterTheTimeout) {
  const std::string message = "VALUE big 0 5000\r\n" + value('x', 5000) + "\r\nEND\r\n";
  const std::vector<std::string> keys = {"big"};
  reader_.start(1, keys, false);
  const Request request = server_.receive(reader_);
  server_.sendMessage(request, message, {0, 1, 3});  // 2 lost
  const auto started = std::chrono::steady_clock::now();
  const auto result = waitFor(1);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->items.empty());
  EXPECT_TRUE(result->timed_out);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 90ms);
}

TEST_F(UdpReaderTest, InconsistentTotalsAreAMiss) {
  const std::vector<std::string> keys = {"k"};
  reader_.start(1, keys, false);
  const Request request = server_.receive(reader_);
  server_.send(request, request.id, 0, 2, "VALUE k 0 2\r\n");
  server_.send(request, request.id, 1, 3, "hi\r\nEND\r\n");  // total changed midstream
  const auto result = waitFor(1);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->items.empty());
}

TEST_F(UdpReaderTest, RetryAsksAgainUnderANewId) {
  options_.udp_retries = 1;
  const std::vector<std::string> keys = {"k"};
  reader_.start(1, keys, false);
  const Request first = server_.receive(reader_);
  const Request second = server_.receive(reader_);  // after the 100 ms timeout
  EXPECT_NE(first.id, second.id);
  EXPECT_EQ(second.payload, "get k\r\n");
  server_.sendMessage(first, "VALUE k 0 3\r\nold\r\nEND\r\n");  // the first id is finished: a stray
  server_.sendMessage(second, "VALUE k 0 3\r\nnew\r\nEND\r\n");
  const auto result = waitFor(1);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->items.at("k").value, "new");
  EXPECT_FALSE(result->timed_out);
}

TEST_F(UdpReaderTest, ManyKeysSplitIntoDatagramsThatFit) {
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("key:" + std::to_string(i) + std::string(20, 'p'));
  keys.push_back(keys[0]);  // a repeat is asked once
  reader_.start(1, keys, false);
  size_t asked = 0;
  std::vector<Request> requests;
  while (asked < 1000) {
    Request request = server_.receive(reader_);
    ASSERT_LE(request.payload.size(), MC_UDP_DATA_SIZE);
    ASSERT_TRUE(request.payload.starts_with("get ") && request.payload.ends_with("\r\n"));
    asked += static_cast<size_t>(std::count(request.payload.begin(), request.payload.end(), ' '));
    requests.push_back(std::move(request));
  }
  EXPECT_EQ(asked, 1000u);
  // memcached 1.6: one message per key, END on the last; every other key hits.
  for (const Request& request : requests) {
    std::vector<std::string> names;
    std::string_view rest = std::string_view(request.payload).substr(4, request.payload.size() - 6);
    while (!rest.empty()) {
      const size_t space = std::min(rest.find(' '), rest.size());
      names.emplace_back(rest.substr(0, space));
      rest.remove_prefix(std::min(rest.size(), space + 1));
    }
    for (size_t i = 0; i < names.size(); ++i) {
      std::string message;
      if (i % 2 == 0) message = "VALUE " + names[i] + " 0 " + std::to_string(names[i].size()) + "\r\n" + names[i] + "\r\n";
      if (i + 1 == names.size()) message += "END\r\n";
      if (!message.empty()) server_.sendMessage(request, message);
    }
  }
  const auto result = waitFor(1);
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->timed_out);
  for (const auto& [key, item] : result->items) EXPECT_EQ(key, item.value);
  EXPECT_GE(result->items.size(), 490u);
}

// udp_keys_per_request caps the keys of a request: 1 sends `get k` per key
// (what unbuckle-xdp's kernel cache answers), 2 splits five keys 2, 2, 1.
TEST_F(UdpReaderTest, KeysPerRequestCapsEachRequest) {
  for (const unsigned cap : {1u, 2u}) {
    ClientOptions options = options_;
    options.udp_keys_per_request = cap;
    UdpReader reader(address_, options);
    const std::vector<std::string> keys = {"k0", "k1", "k2", "k3", "k4"};
    reader.start(7, keys, false);
    std::vector<size_t> sizes;
    for (size_t asked = 0; asked < keys.size();) {
      const Request request = server_.receive(reader);
      ASSERT_TRUE(request.payload.starts_with("get ") && request.payload.ends_with("\r\n")) << request.payload;
      std::string message;
      std::string_view rest = std::string_view(request.payload).substr(4, request.payload.size() - 6);
      sizes.push_back(0);
      while (!rest.empty()) {
        const std::string_view key = rest.substr(0, rest.find(' '));
        message += "VALUE " + std::string(key) + " 0 2\r\n" + std::string(key) + "\r\n";
        rest.remove_prefix(std::min(rest.size(), key.size() + 1));
        ++sizes.back();
      }
      server_.sendMessage(request, message + "END\r\n");
      asked += sizes.back();
    }
    EXPECT_EQ(sizes, (cap == 1 ? std::vector<size_t>{1, 1, 1, 1, 1} : std::vector<size_t>{2, 2, 1}));
    const auto result = waitFor(reader, 7, 2000ms);
    ASSERT_TRUE(result);
    EXPECT_FALSE(result->timed_out);
    ASSERT_EQ(result->items.size(), keys.size());
    for (const auto& [key, item] : result->items) EXPECT_EQ(key, item.value);
  }
}

// Two values long enough for several datagrams each, in one request: their
// middle datagrams could be swapped unseen, so the reader takes neither and
// asks for each key alone.
TEST_F(UdpReaderTest, LongRepliesToSeveralKeysAreAskedAgainAlone) {
  const std::vector<std::string> keys = {"a", "b", "c"};
  reader_.start(1, keys, false);
  const Request request = server_.receive(reader_);
  EXPECT_EQ(request.payload, "get a b c\r\n");
  const std::string a = "VALUE a 0 2000\r\n" + value('a', 2000) + "\r\n";
  const std::string b = "VALUE b 0 2000\r\n" + value('b', 2000) + "\r\n";
  // Second datagrams swapped: a0 b1 b0 a1, then c's short message with END.
  server_.send(request, request.id, 0, 2, std::string_view(a).substr(0, MC_UDP_DATA_SIZE));
  server_.send(request, request.id, 1, 2, std::string_view(b).substr(MC_UDP_DATA_SIZE));
  server_.send(request, request.id, 0, 2, std::string_view(b).substr(0, MC_UDP_DATA_SIZE));
  server_.send(request, request.id, 1, 2, std::string_view(a).substr(MC_UDP_DATA_SIZE));
  server_.sendMessage(request, "VALUE c 0 1\r\nc\r\nEND\r\n");
  std::vector<std::string> alone;
  for (int i = 0; i < 2; ++i) {
    const Request single = server_.receive(reader_);
    alone.push_back(single.payload);
    const char key = single.payload[4];
    server_.sendMessage(single, (key == 'a' ? a : b) + "END\r\n");
  }
  std::sort(alone.begin(), alone.end());
  EXPECT_EQ(alone, (std::vector<std::string>{"get a\r\n", "get b\r\n"}));
  const auto result = waitFor(1);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->items.at("a").value, value('a', 2000));
  EXPECT_EQ(result->items.at("b").value, value('b', 2000));
  EXPECT_EQ(result->items.at("c").value, "c");
}

TEST_F(UdpReaderTest, AValueForAKeyNotAskedIsIgnored) {
  const std::vector<std::string> keys = {"a", "b"};
  reader_.start(1, keys, false);
  const Request request = server_.receive(reader_);
  server_.sendMessage(request, "VALUE zzz 0 1\r\nz\r\n");
  server_.sendMessage(request, "VALUE a 0 1\r\nA\r\n");
  server_.sendMessage(request, "VALUE a 0 1\r\nA\r\n");  // duplicate
  server_.sendMessage(request, "VALUE b 0 3\r\nB\r\nEND\r\n");  // corrupt: count 3, 1 byte
  server_.sendMessage(request, "END\r\n");
  const auto result = waitFor(1);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->items.size(), 1u);
  EXPECT_EQ(result->items.at("a").value, "A");
}

}  // namespace
}  // namespace unbuckle::client
