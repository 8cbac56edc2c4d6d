// The fixed reply lines of the text protocol, byte for byte as memcached
// 1.6.18 sends them, and a small builder for the lines that carry numbers.
#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace unbuckle::proto {

inline constexpr std::string_view kError = "ERROR\r\n";
inline constexpr std::string_view kEnd = "END\r\n";
inline constexpr std::string_view kOk = "OK\r\n";
inline constexpr std::string_view kStored = "STORED\r\n";
inline constexpr std::string_view kNotStored = "NOT_STORED\r\n";
inline constexpr std::string_view kExists = "EXISTS\r\n";
inline constexpr std::string_view kNotFound = "NOT_FOUND\r\n";
inline constexpr std::string_view kDeleted = "DELETED\r\n";
inline constexpr std::string_view kTouched = "TOUCHED\r\n";
inline constexpr std::string_view kBadFormat = "CLIENT_ERROR bad command line format\r\n";
inline constexpr std::string_view kBadDataChunk = "CLIENT_ERROR bad data chunk\r\n";
inline constexpr std::string_view kInvalidExptime = "CLIENT_ERROR invalid exptime argument\r\n";
inline constexpr std::string_view kNonNumeric =
    "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
inline constexpr std::string_view kInvalidDelta = "CLIENT_ERROR invalid numeric delta argument\r\n";
inline constexpr std::string_view kTooLarge = "SERVER_ERROR object too large for cache\r\n";
inline constexpr std::string_view kNoMemoryStoring = "SERVER_ERROR out of memory storing object\r\n";
inline constexpr std::string_view kNoMemory = "SERVER_ERROR out of memory\r\n";
inline constexpr std::string_view kDeleteUsage =
    "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";

// A reply line assembled from pieces. Lines here are short by construction
// (a key of at most 250 bytes, or its base64 form, plus a few numbers and
// one opaque of at most 32 bytes); pieces past the capacity are dropped.
class ReplyLine {
 public:
  static constexpr size_t kCapacity = 1024;

  ReplyLine& add(std::string_view s) {
    const size_t n = s.size() < kCapacity - size_ ? s.size() : kCapacity - size_;
    std::memcpy(buf_.data() + size_, s.data(), n);
    size_ += n;
    return *this;
  }
  ReplyLine& addNumber(uint64_t v) {
    char digits[20];
    const auto r = std::to_chars(digits, digits + sizeof digits, v);
    return add(std::string_view(digits, static_cast<size_t>(r.ptr - digits)));
  }
  ReplyLine& addSigned(int64_t v) {
    char digits[21];
    const auto r = std::to_chars(digits, digits + sizeof digits, v);
    return add(std::string_view(digits, static_cast<size_t>(r.ptr - digits)));
  }
  std::string_view view() const { return {buf_.data(), size_}; }

 private:
  std::array<char, kCapacity> buf_;
  size_t size_ = 0;
};

}  // namespace unbuckle::proto
