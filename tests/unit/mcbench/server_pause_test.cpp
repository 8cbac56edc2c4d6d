#include "mcbench/server_pause.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace unbuckle::mcbench {
namespace {

// A child that sleeps until killed: a stand-in server.
class Child {
 public:
  Child() : pid_(fork()) {
    if (pid_ == 0) {
      for (;;) pause();
    }
  }
  ~Child() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

  // Waits up to a second for the state letter of /proc/PID/stat to become
  // (or, with stopped false, to leave) 'T'; signals arrive asynchronously.
  bool stopped(bool expected) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    do {
      std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
      std::string line((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      const size_t close = line.rfind(')');
      if (close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'T') == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }

 private:
  pid_t pid_;
};

TEST(ServerPause, OnlyTheMeasuredServerRunsAndAllRunAfterwards) {
  Child a, b;
  ASSERT_GT(a.pid(), 0);
  ASSERT_GT(b.pid(), 0);
  {
    ServerPause pause({a.pid(), b.pid()});
    EXPECT_TRUE(a.stopped(true));
    EXPECT_TRUE(b.stopped(true));
    pause.measure(a.pid());
    EXPECT_TRUE(a.stopped(false));
    EXPECT_TRUE(b.stopped(true));
    pause.measure(b.pid());
    EXPECT_TRUE(a.stopped(true));
    EXPECT_TRUE(b.stopped(false));
  }
  EXPECT_TRUE(a.stopped(false));
  EXPECT_TRUE(b.stopped(false));
}

TEST(ServerPause, AServerThatIsGoneIsNamedAndTheOthersAreLeftRunning) {
  Child a;
  pid_t gone = fork();
  ASSERT_GE(gone, 0);
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  try {
    ServerPause pause({a.pid(), gone});
    FAIL() << "a pid that is gone was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "--pause-idle: cannot stop server pid " + std::to_string(gone) + ": No such process");
  }
  EXPECT_TRUE(a.stopped(false));
}

}  // namespace
}  // namespace unbuckle::mcbench
