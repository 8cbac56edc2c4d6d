// What a step that can fail returns: a value, or an Error: one line naming
// what failed with its context ("cannot listen on 127.0.0.1:11211 (TCP):
// address in use") and the errno behind it, 0 when no system call failed.
// A caller passes an Error up as it is, or adds what it was doing in front
// (Error::within); the daemon logs the line and keeps the errno for callers
// that act on it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace unbuckle {

struct Error {
  std::string message;   // the whole line: context, then the cause and, where known, the fix
  int errno_value = 0;   // the errno of the failed system call, 0 when none

  // The same failure as seen by a caller: "context: message", same errno.
  Error within(std::string_view context) const {
    return {std::string(context) + ": " + message, errno_value};
  }
};

// "context: strerror(err)", carrying err (a positive errno).
inline Error systemError(std::string_view context, int err) {
  return {std::string(context) + ": " + std::strerror(err), err};
}

template <typename T>
class Result;

// The value, or the end of the process with the reason on stderr: for an
// input its caller has checked (tests, tools), where a failure is a bug.
template <typename T>
T valueOrAbort(Result<T> result);

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  T& value() { return std::get<T>(state_); }
  const std::string& error() const { return failure().message; }
  const Error& failure() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <typename T>
T valueOrAbort(Result<T> result) {
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.error().c_str());
    std::abort();
  }
  return std::move(result.value());
}

}  // namespace unbuckle
