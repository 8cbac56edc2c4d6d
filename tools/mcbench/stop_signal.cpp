#include "mcbench/stop_signal.h"

#include <atomic>
#include <csignal>

namespace unbuckle::mcbench {

namespace {

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "used from a signal handler");

void onStopSignal(int) {
  stop_requested.store(true);
}

}  // namespace

void installStopHandlers() {
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  action.sa_flags = SA_RESETHAND;  // no SA_RESTART: a blocking sleep or wait returns early
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool stopRequested() {
  return stop_requested.load(std::memory_order_relaxed);
}

}  // namespace unbuckle::mcbench
