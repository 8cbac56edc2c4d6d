#include "mcbench/memcached_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "unbuckle/file_descriptor.h"
#include "mcbench/sockets.h"
#include "mcbench/stop_signal.h"
#include "mcbench/udp_probe.h"

namespace unbuckle::mcbench {

namespace {

constexpr int kStartAttempts = 3;
constexpr auto kReadyTimeout = std::chrono::seconds(5);
constexpr auto kTermGrace = std::chrono::seconds(2);

bool bindable(int type, uint16_t port) {
  FileDescriptor fd(socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return fd && bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
}

// An ephemeral port that is free for both TCP and UDP right now (memcached
// binds it a moment later; a lost race shows as a failed start and a retry).
uint16_t freeLoopbackPort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    FileDescriptor fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (!fd || bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
        getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      continue;
    }
    const uint16_t port = ntohs(address.sin_port);
    fd.reset();
    if (bindable(SOCK_DGRAM, port)) return port;
  }
  throw std::runtime_error("no free 127.0.0.1 port for memcached");
}

pid_t spawn(const MemcachedOptions& options, uint16_t port) {
  std::vector<std::string> args = {options.binary,
                                   "-U",
                                   std::to_string(port),
                                   "-p",
                                   std::to_string(port),
                                   "-l",
                                   "127.0.0.1",
                                   "-t",
                                   std::to_string(options.threads),
                                   "-m",
                                   std::to_string(options.memory_mb)};
  if (geteuid() == 0) args.insert(args.end(), {"-u", "root"});  // memcached refuses root without it
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    // Dies with mcbench even if mcbench is killed; its own process group
    // keeps a terminal's Ctrl-C for mcbench, which then stops it in order.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    const int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

void terminate(pid_t pid) {
  kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kTermGrace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

std::string describeExit(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return "stopped";
}

}  // namespace

std::unique_ptr<MemcachedProcess> MemcachedProcess::start(const MemcachedOptions& options) {
  if (access(options.binary.c_str(), X_OK) != 0) {
    throw std::runtime_error(fmt::format("cannot run {}: {}", options.binary, std::strerror(errno)));
  }
  std::string reason;
  for (int attempt = 0; attempt < kStartAttempts && !stopRequested(); ++attempt) {
    Endpoint endpoint;
    endpoint.address.s_addr = htonl(INADDR_LOOPBACK);
    endpoint.port = freeLoopbackPort();
    const pid_t pid = spawn(options, endpoint.port);
    std::unique_ptr<MemcachedProcess> process(new MemcachedProcess(pid, endpoint));
    const auto failure = process->waitUntilReady();
    if (!failure) return process;
    reason = *failure;
  }
  throw std::runtime_error(fmt::format("starting {}: {}", options.binary, reason.empty() ? "interrupted" : reason));
}

std::optional<std::string> MemcachedProcess::waitUntilReady() {
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stopRequested()) return "interrupted";
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      return describeExit(status);
    }
    try {
      connectTcp(endpoint_, std::chrono::milliseconds(200), false);
      if (probeUdp(endpoint_, std::chrono::milliseconds(1000))) return std::nullopt;
    } catch (const std::runtime_error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return "did not answer within 5 s";
}

MemcachedProcess::~MemcachedProcess() {
  if (!reaped_) terminate(pid_);
}

}  // namespace unbuckle::mcbench
