#include "mcbench/workload.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

#include "unbuckle/mc_udp.h"

namespace unbuckle::mcbench {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// Start offsets are taken modulo 61, one less than the cycle, so values of
// keys whose indices differ by less than 61 differ in every byte.
constexpr uint64_t kValueOffsets = kAlphabet.size() - 1;

size_t decimalDigits(uint64_t n) {
  size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

}  // namespace

size_t Workload::minKeySize(uint64_t keys, std::string_view prefix) {
  return prefix.size() + 1 + decimalDigits(keys > 0 ? keys - 1 : 0);
}

Workload::Workload(WorkloadShape shape) : shape_(std::move(shape)) {
  if (shape_.keys == 0) throw std::invalid_argument("--keys must be at least 1");
  const size_t min_key = minKeySize(shape_.keys, shape_.prefix);
  if (shape_.key_size < min_key) {
    throw std::invalid_argument(fmt::format("--key-size {} is too small for {} keys (need at least {})",
                                            shape_.key_size, shape_.keys, min_key));
  }
  if (shape_.key_size > MC_KEY_MAX_LENGTH) {
    throw std::invalid_argument(
        fmt::format("--key-size {} exceeds memcached's {}", shape_.key_size, MC_KEY_MAX_LENGTH));
  }
  pattern_.resize(shape_.value_size + kValueOffsets);
  for (size_t i = 0; i < pattern_.size(); ++i) pattern_[i] = kAlphabet[i % kAlphabet.size()];
}

void Workload::appendKey(std::string& out, uint64_t index) const {
  out += shape_.prefix;
  out += ':';
  out.append(shape_.key_size - shape_.prefix.size() - 1, '0');
  char digits[20];
  const auto end = std::to_chars(digits, digits + sizeof(digits), index).ptr;
  const auto length = static_cast<size_t>(end - digits);
  out.replace(out.size() - length, length, digits, length);
}

std::string Workload::key(uint64_t index) const {
  std::string out;
  appendKey(out, index);
  return out;
}

std::string_view Workload::value(uint64_t index) const {
  return std::string_view(pattern_).substr(index % kValueOffsets, shape_.value_size);
}

void Workload::appendGet(std::string& out, uint64_t index) const {
  out += "get ";
  appendKey(out, index);
  out += "\r\n";
}

void Workload::appendSet(std::string& out, uint64_t index) const {
  out += "set ";
  appendKey(out, index);
  fmt::format_to(std::back_inserter(out), " {} 0 {}\r\n", flags(index), shape_.value_size);
  out += value(index);
  out += "\r\n";
}

size_t Workload::maxSetSize() const {
  // "set " key " 65535 0 " <bytes> "\r\n" value "\r\n"
  return 4 + shape_.key_size + 9 + 20 + 2 + shape_.value_size + 2;
}

}  // namespace unbuckle::mcbench
