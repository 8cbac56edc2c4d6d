// How a fuzz target reports a broken invariant: one line on stderr, then
// abort(), which libFuzzer records as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace unbuckle::fuzz {

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "==finding== %s\n", what.c_str());
  std::abort();
}

}  // namespace unbuckle::fuzz
