// Splits a command line into tokens the way memcached's tokenize_command()
// does: on single spaces only (tabs and \r stay inside tokens), at most
// kMaxTokens tokens per pass; a longer line leaves the unsplit remainder in
// `rest` for the next pass (only multi-key gets walk it).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace unbuckle::proto {

class Tokens {
 public:
  // memcached's MAX_TOKENS is 24, one of which is its terminal marker.
  static constexpr size_t kMaxTokens = 23;

  // Token i, or an empty view past the last one (memcached's terminal token).
  std::string_view operator[](size_t i) const { return i < count_ ? tokens_[i] : std::string_view{}; }
  size_t count() const { return count_; }
  std::string_view back() const { return count_ ? tokens_[count_ - 1] : std::string_view{}; }
  // True when the line had more tokens than one pass takes.
  bool hasRest() const { return has_rest_; }
  std::string_view rest() const { return rest_; }

 private:
  friend Tokens tokenize(std::string_view line);
  std::array<std::string_view, kMaxTokens> tokens_;
  size_t count_ = 0;
  bool has_rest_ = false;
  std::string_view rest_;
};

Tokens tokenize(std::string_view line);

}  // namespace unbuckle::proto
