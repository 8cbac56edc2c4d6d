#include "control/control_server.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "control/control_protocol.h"
#include "fake_daemon_control.h"

namespace unbuckle::control {
namespace {

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/control-server-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    directory_ = pattern;
    path_ = directory_ + "/run/control.sock";   // run/ does not exist yet
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::unique_ptr<ControlServer> create() {
    auto server = ControlServer::create({path_, ""});
    EXPECT_TRUE(server.ok()) << server.error();
    return server.ok() ? std::move(server.value()) : nullptr;
  }

  // A connected client, or -1 with errno set.
  int connectClient() {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, path_.size());
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      const int error = errno;
      close(fd);
      errno = error;
      return -1;
    }
    return fd;
  }

  // What the server sends until one reply is complete (until_closed: until
  // it closes), giving up after 3 s of silence.
  static std::string receive(int fd, bool until_closed = false) {
    std::string received;
    char buffer[4096];
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, 3000) == 1) {
      const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      received.append(buffer, static_cast<size_t>(n));
      if (!until_closed && parseReply(received).state != Reply::State::kIncomplete) break;
    }
    return received;
  }

  static void sendAll(int fd, const std::string& text) {
    ASSERT_EQ(send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
  }

  std::string directory_;
  std::string path_;
  FakeDaemonControl control_;
};

TEST_F(ControlServerTest, MakesTheSocketWithMode0660AndRemovesItAtStop) {
  auto server = create();
  ASSERT_TRUE(server);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, getegid());
  server->start(control_);
  server.reset();
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(ControlServerTest, AnswersRequestsInOrderOnOneConnection) {
  auto server = create();
  ASSERT_TRUE(server);
  server->start(control_);
  const int fd = connectClient();
  ASSERT_GE(fd, 0);
  sendAll(fd, "stats\nlog-level debug\r\n");
  std::string received = receive(fd);
  while (received.find("log level") == std::string::npos) {
    const std::string more = receive(fd);
    if (more.empty()) break;
    received += more;
  }
  EXPECT_EQ(received, "OK\nSTAT pid 1\nEND\nOK\nlog level debug, was info\nEND\n");
  sendAll(fd, "attach eth9\n");
  EXPECT_EQ(receive(fd), "ERROR no such interface eth9\n");
  close(fd);
}

TEST_F(ControlServerTest, ClosesALineTooLongAfterSayingSo) {
  auto server = create();
  ASSERT_TRUE(server);
  server->start(control_);
  const int fd = connectClient();
  ASSERT_GE(fd, 0);
  sendAll(fd, std::string(kMaxRequestLine + 100, 'x'));
  EXPECT_EQ(receive(fd, true), "ERROR request longer than 1024 bytes\n");
  close(fd);
}

TEST_F(ControlServerTest, BoundsItsConnections) {
  auto server = create();
  ASSERT_TRUE(server);
  server->start(control_);
  std::vector<int> idle;
  for (size_t i = 0; i < ControlServer::kMaxConnections; ++i) {
    idle.push_back(connectClient());
    ASSERT_GE(idle.back(), 0);
  }
  // Accepted in turn: the last idle one is in the server's list once a
  // request on it is answered.
  sendAll(idle.back(), "status\n");
  EXPECT_TRUE(receive(idle.back()).starts_with("OK\n"));
  const int extra = connectClient();
  ASSERT_GE(extra, 0);
  EXPECT_EQ(receive(extra, true), "ERROR too many control connections (at most 8); try again\n");
  close(extra);
  close(idle.front());
  idle.erase(idle.begin());
  // The server notices the close before the next accept in the same round or the next.
  std::string answer;
  for (int attempt = 0; attempt < 50 && !answer.starts_with("OK\n"); ++attempt) {
    usleep(20000);
    const int again = connectClient();
    ASSERT_GE(again, 0);
    sendAll(again, "stats\n");
    answer = receive(again);
    close(again);
  }
  EXPECT_EQ(answer, "OK\nSTAT pid 1\nEND\n");
  for (const int fd : idle) close(fd);
}

TEST_F(ControlServerTest, RefusesWhenAnotherDaemonListens) {
  auto first = create();
  ASSERT_TRUE(first);
  auto second = ControlServer::create({path_, ""});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), "another unbuckle-xdp is running: it listens on " + path_ +
                                " (stop it, or give this one another --control-socket)");
  // The first one's socket is untouched.
  first->start(control_);
  const int fd = connectClient();
  ASSERT_GE(fd, 0);
  close(fd);
}

TEST_F(ControlServerTest, ReplacesAStaleSocketFile) {
  std::filesystem::create_directories(directory_ + "/run");
  const int stale = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path_.copy(address.sun_path, path_.size());
  ASSERT_EQ(bind(stale, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  close(stale);   // never listened: what a killed daemon leaves
  auto server = create();
  ASSERT_TRUE(server);
  server->start(control_);
  const int fd = connectClient();
  ASSERT_GE(fd, 0);
  close(fd);
}

TEST_F(ControlServerTest, RefusesWhatItCannotUse) {
  std::filesystem::create_directories(directory_ + "/run");
  std::ofstream(path_) << "not a socket";
  auto server = ControlServer::create({path_, ""});
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error(),
            "--control-socket " + path_ + " exists and is not a socket: remove it or choose another path");
  EXPECT_TRUE(std::filesystem::is_regular_file(path_));

  auto long_path = ControlServer::create({directory_ + "/" + std::string(120, 'p'), ""});
  ASSERT_FALSE(long_path.ok());
  EXPECT_NE(long_path.error().find("the most a Unix socket path may have"), std::string::npos);

  auto no_group = ControlServer::create({directory_ + "/other.sock", "no-such-group-ubx"});
  ASSERT_FALSE(no_group.ok());
  EXPECT_EQ(no_group.error(), "--control-group: no group named 'no-such-group-ubx'");
}

}  // namespace
}  // namespace unbuckle::control
