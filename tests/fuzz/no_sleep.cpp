#include "no_sleep.h"

#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace unbuckle::fuzz {
namespace {

thread_local bool no_sleep = false;

void checkAllowed(const char* call) {
  if (no_sleep) {
    std::fprintf(stderr, "==stall== %s on the fuzzing thread: a request waited on itself\n", call);
    std::abort();
  }
}

}  // namespace

NoSleepScope::NoSleepScope() { no_sleep = true; }
NoSleepScope::~NoSleepScope() { no_sleep = false; }

}  // namespace unbuckle::fuzz

extern "C" int nanosleep(const struct timespec* request, struct timespec* remaining) {
  unbuckle::fuzz::checkAllowed("nanosleep");
  return static_cast<int>(syscall(SYS_nanosleep, request, remaining));
}

extern "C" int clock_nanosleep(clockid_t clock, int flags, const struct timespec* request,
                               struct timespec* remaining) {
  unbuckle::fuzz::checkAllowed("clock_nanosleep");
  return syscall(SYS_clock_nanosleep, clock, flags, request, remaining) == 0 ? 0 : errno;
}
