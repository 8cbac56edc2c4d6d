// ServerClient's multi-get over TCP (startGetTcp, takeGet, getManyTcp)
// against a scripted server of the test's own on 127.0.0.1, in a thread:
// get lines split at 2 KiB and their replies joined (or handed to a sink), an
// error line or a refused
// connection thrown from takeGet, and a timed-out multi-get whose late
// replies go to no later command.
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "loopback_socket.h"
#include "scripted_server.h"
#include "unbuckle/client.h"
#include "unbuckle/file_descriptor.h"

namespace unbuckle::client {
namespace {

using namespace std::chrono_literals;

// Every key of a get line hits, its value the key reversed.
std::string hitEveryKey(const std::string& line) {
  if (!line.starts_with("get ")) return "ERROR\r\n";
  std::string reply;
  size_t at = 4;
  while (at < line.size()) {
    const size_t end = std::min(line.find(' ', at), line.size());
    const std::string key = line.substr(at, end - at);
    const std::string value(key.rbegin(), key.rend());
    reply += "VALUE " + key + " 3 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    at = end + 1;
  }
  return reply + "END\r\n";
}

GetResult await(ServerClient& client, ServerClient::Ticket ticket) {
  for (int i = 0; i < 2000; ++i) {
    if (auto result = client.takeGet(ticket)) return std::move(*result);
    client.poll(5ms);
  }
  ADD_FAILURE() << "no result";
  return {};
}

TEST(ServerClientTcpGet, KeysSpanningSeveralLinesComeBackAsOneResult) {
  ScriptedServer server(hitEveryKey);
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("a-key-of-twenty-" + std::to_string(1000 + i));
  {
    ServerClient client("127.0.0.1", server.port());
    EXPECT_TRUE(client.getManyTcp({}).empty());
    const GetResult result = await(client, client.startGetTcp(keys, false));
    ASSERT_EQ(result.items.size(), keys.size());
    for (const std::string& key : keys) {
      EXPECT_EQ(result.items.at(key).value, std::string(key.rbegin(), key.rend()));
      EXPECT_EQ(result.items.at(key).flags, 3u);
    }
    EXPECT_FALSE(result.timed_out);
  }
  // The client is gone, so the server has read every line.
  const std::vector<std::string> lines = server.lines();
  ASSERT_GE(lines.size(), 3u);
  for (const std::string& line : lines) EXPECT_LE(line.size(), 2048u) << line;
}

TEST(ServerClientTcpGet, ASinkGetsEveryHitOnceAndTheResultNoItems) {
  ScriptedServer server(hitEveryKey);
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("a-key-of-twenty-" + std::to_string(1000 + i));
  ServerClient client("127.0.0.1", server.port());
  std::vector<std::string> seen;
  const ValueSink sink = [&seen](const ValueView& value) {
    EXPECT_EQ(value.flags, 3u);
    EXPECT_EQ(value.value, std::string(value.key.rbegin(), value.key.rend()));
    seen.emplace_back(value.key);
  };
  const GetResult result = await(client, client.startGetTcp(keys, false, sink));
  EXPECT_TRUE(result.items.empty());
  EXPECT_EQ(seen, keys);  // one get line after another, each in the order asked
}

TEST(ServerClientTcpGet, AnErrorLineIsThrownFromTakeGet) {
  ScriptedServer server([](const std::string&) { return std::string("SERVER_ERROR out of memory\r\n"); });
  ServerClient client("127.0.0.1", server.port());
  const std::string keys[] = {"a", "b"};
  const ServerClient::Ticket ticket = client.startGetTcp(keys, false);
  try {
    await(client, ticket);
    FAIL() << "no error";
  } catch (const ClientError& e) {
    EXPECT_NE(std::string(e.what()).find("answered get with 'SERVER_ERROR out of memory'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(client.getManyTcp(keys), ClientError);
}

TEST(ServerClientTcpGet, ARefusedConnectionIsThrownFromTakeGet) {
  // A port bound and closed without listening: nothing answers there.
  uint16_t port = 0;
  const FileDescriptor unlistened = boundLoopbackSocket(SOCK_STREAM, port);
  ServerClient client("127.0.0.1", port);
  const std::string keys[] = {"a"};
  EXPECT_THROW(await(client, client.startGetTcp(keys, false)), ClientError);
}

TEST(ServerClientTcpGet, ATimedOutMultiGetThrowsAndItsLateReplyGoesToNoLaterCommand) {
  ScriptedServer server([](const std::string& line) {
    if (line.starts_with("get ")) {
      std::this_thread::sleep_for(300ms);
      return hitEveryKey(line);
    }
    return std::string("VERSION 1.6.18\r\n");
  });
  ClientOptions options;
  options.tcp_timeout = 100ms;
  ServerClient client("127.0.0.1", server.port(), options);
  const std::string keys[] = {"slow"};
  EXPECT_THROW(client.getManyTcp(keys), TimeoutError);
  std::this_thread::sleep_for(400ms);  // the late reply is in the client's socket
  EXPECT_EQ(client.command("version"), "VERSION 1.6.18\r\n");
}

}  // namespace
}  // namespace unbuckle::client
