#include "mcbench/server_pause.h"

#include <errno.h>
#include <fmt/format.h>
#include <signal.h>

#include <cstring>
#include <stdexcept>

namespace unbuckle::mcbench {
namespace {

void signalServer(pid_t pid, int signal) {
  if (kill(pid, signal) != 0) {
    throw std::runtime_error(fmt::format("--pause-idle: cannot {} server pid {}: {}",
                                         signal == SIGSTOP ? "stop" : "continue", pid, std::strerror(errno)));
  }
}

}  // namespace

ServerPause::ServerPause(std::vector<pid_t> servers) : servers_(std::move(servers)) {
  try {
    for (const pid_t pid : servers_) signalServer(pid, SIGSTOP);
  } catch (...) {
    for (const pid_t pid : servers_) kill(pid, SIGCONT);
    throw;
  }
}

ServerPause::~ServerPause() {
  for (const pid_t pid : servers_) kill(pid, SIGCONT);
}

void ServerPause::measure(pid_t measured) {
  for (const pid_t pid : servers_) {
    if (pid != measured) signalServer(pid, SIGSTOP);
  }
  signalServer(measured, SIGCONT);
}

}  // namespace unbuckle::mcbench
