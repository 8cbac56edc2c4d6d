// ServerClient::setMany and removeMany against a scripted server: every
// request is sent before the first reply (the server answers none until it
// has read them all), results come back in order, an error reply is thrown
// once every reply is read, and a batch that times out leaves no reply for
// a later command.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "scripted_server.h"
#include "unbuckle/client.h"

namespace unbuckle::client {
namespace {

using namespace std::chrono_literals;
using Items = std::vector<std::pair<std::string_view, std::string_view>>;

// Answers nothing until the `replies.size()`-th request (a set's data line,
// or a delete), then every reply at once; "version" after that.
auto answerAllAtOnce(std::vector<std::string> replies) {
  return [replies = std::move(replies), requests = size_t{0}](const std::string& line) mutable -> std::string {
    if (line.starts_with("set ")) return "";
    if (line == "version") return "VERSION 1.6.18\r\n";
    if (++requests < replies.size()) return "";
    std::string all;
    for (const std::string& reply : replies) all += reply;
    return all;
  };
}

ClientOptions shortTimeout() {
  ClientOptions options;
  options.tcp_timeout = 500ms;
  return options;
}

TEST(ServerClientBatch, SetManySendsEveryRequestBeforeAwaitingAReply) {
  ScriptedServer server(answerAllAtOnce({"STORED\r\n", "NOT_STORED\r\n", "STORED\r\n"}));
  ServerClient client("127.0.0.1", server.port(), shortTimeout());
  const Items items = {{"a", "1"}, {"b", "22"}, {"c", ""}};
  EXPECT_EQ(client.setMany(items, 5, 60),
            (std::vector<StoreResult>{StoreResult::kStored, StoreResult::kNotStored, StoreResult::kStored}));
  EXPECT_EQ(client.command("version"), "VERSION 1.6.18\r\n");
  const std::vector<std::string> lines = server.lines();
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(lines.begin(), lines.begin() + 6),
            (std::vector<std::string>{"set a 5 60 1", "1", "set b 5 60 2", "22", "set c 5 60 0", ""}));
}

TEST(ServerClientBatch, RemoveManyTellsWhichKeysWereDeleted) {
  ScriptedServer server(answerAllAtOnce({"DELETED\r\n", "NOT_FOUND\r\n"}));
  ServerClient client("127.0.0.1", server.port(), shortTimeout());
  const std::vector<std::string_view> keys = {"a", "b"};
  EXPECT_EQ(client.removeMany(keys), (std::vector<bool>{true, false}));
  EXPECT_TRUE(client.removeMany({}).empty());
}

TEST(ServerClientBatch, AnErrorReplyIsThrownOnceEveryReplyIsRead) {
  ScriptedServer server(
      answerAllAtOnce({"STORED\r\n", "SERVER_ERROR out of memory storing object\r\n", "STORED\r\n"}));
  ServerClient client("127.0.0.1", server.port(), shortTimeout());
  const Items items = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  try {
    client.setMany(items);
    FAIL() << "no error";
  } catch (const ReplyError& e) {
    EXPECT_NE(std::string(e.what()).find("'SERVER_ERROR out of memory storing object'"), std::string::npos)
        << e.what();
  }
  // The third reply was read with the batch, not left for this command.
  EXPECT_EQ(client.command("version"), "VERSION 1.6.18\r\n");
}

TEST(ServerClientBatch, ABadKeySendsNothing) {
  ScriptedServer server(answerAllAtOnce({"STORED\r\n"}));
  ServerClient client("127.0.0.1", server.port(), shortTimeout());
  const Items items = {{"good", "1"}, {"bad key", "2"}};
  EXPECT_THROW(client.setMany(items), std::invalid_argument);
  EXPECT_EQ(client.command("version"), "VERSION 1.6.18\r\n");
  EXPECT_EQ(server.lines(), std::vector<std::string>{"version"});
}

TEST(ServerClientBatch, ATimedOutBatchLeavesNoReplyForALaterCommand) {
  // The first delete is answered at once, the second late, the third never
  // waited for.
  ScriptedServer server([deletes = 0](const std::string& line) mutable -> std::string {
    if (line == "version") return "VERSION 1.6.18\r\n";
    if (++deletes == 2) std::this_thread::sleep_for(300ms);
    return "DELETED\r\n";
  });
  ClientOptions options;
  options.tcp_timeout = 100ms;
  ServerClient client("127.0.0.1", server.port(), options);
  const std::vector<std::string_view> keys = {"a", "b", "c"};
  EXPECT_THROW(client.removeMany(keys), TimeoutError);
  std::this_thread::sleep_for(400ms);  // both late replies are in the client's socket
  EXPECT_EQ(client.command("version"), "VERSION 1.6.18\r\n");
  EXPECT_TRUE(client.remove("d"));
}

}  // namespace
}  // namespace unbuckle::client
