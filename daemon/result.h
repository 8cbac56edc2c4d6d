// What a start-up step that can fail returns: a value, or a one-line reason
// with its context ("cannot listen on 127.0.0.1:11211 (TCP): address in use").
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace unbuckle {

struct Error {
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  T& value() { return std::get<T>(state_); }
  const std::string& error() const { return std::get<Error>(state_).message; }

 private:
  std::variant<T, Error> state_;
};

}  // namespace unbuckle
