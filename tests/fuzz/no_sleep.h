// A worker must never stall on a request. The fuzz programs run the engine
// on one thread, where nothing else can hold an item or a page, so any wait
// inside it is the engine waiting on itself (as appends on a small store
// once did for 80 ms each). std::this_thread::sleep_for and usleep end in
// nanosleep or clock_nanosleep; no_sleep.cpp replaces both for the whole
// program, and a sleep while a NoSleepScope is open on the calling thread
// is a finding (abort). Other threads (libFuzzer's own) sleep as usual.
#pragma once

namespace unbuckle::fuzz {

class NoSleepScope {
 public:
  NoSleepScope();
  ~NoSleepScope();
  NoSleepScope(const NoSleepScope&) = delete;
  NoSleepScope& operator=(const NoSleepScope&) = delete;
};

}  // namespace unbuckle::fuzz
