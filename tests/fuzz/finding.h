// How a fuzz target reports a broken invariant: one line on stderr, then
// abort(), which libFuzzer records as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace unbuckle::fuzz {

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "==finding== %s\n", what.c_str());
  std::abort();
}

// Runs `fn`; an exception out of it is a finding (the code under test must
// report bad input by its return values, never by throwing at its caller).
template <class Fn>
void failOnException(Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    finding(std::string("an exception: ") + e.what());
  }
}

}  // namespace unbuckle::fuzz
