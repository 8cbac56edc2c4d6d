// The benchmark's data set. Key i's name, value and flags are pure functions
// of i, so every GET reply can be validated without remembering what was set
// (and a later run, or another client, sets the very same bytes).
//
//   key   = <prefix> ":" <i, zero-padded to key_size>     "mcb:0000000000000042"
//   value = value_size bytes of a 62-letter cycle, starting at letter i % 61
//   flags = i & 0xffff
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace unbuckle::mcbench {

struct WorkloadShape {
  uint64_t keys = 0;
  size_t key_size = 0;
  size_t value_size = 0;
  std::string prefix;
};

class Workload {
 public:
  // Throws std::invalid_argument when the keys cannot be told apart within
  // key_size bytes or key_size exceeds memcached's 250.
  explicit Workload(WorkloadShape shape);

  const WorkloadShape& shape() const { return shape_; }

  std::string key(uint64_t index) const;
  void appendKey(std::string& out, uint64_t index) const;
  std::string_view value(uint64_t index) const;
  static uint32_t flags(uint64_t index) { return static_cast<uint32_t>(index & 0xffff); }

  // "get <key>\r\n" and "set <key> <flags> 0 <bytes>\r\n<value>\r\n".
  void appendGet(std::string& out, uint64_t index) const;
  void appendSet(std::string& out, uint64_t index) const;

  // Exact size of appendGet's request; upper bound of appendSet's.
  size_t getSize() const { return 4 + shape_.key_size + 2; }
  size_t maxSetSize() const;

  static size_t minKeySize(uint64_t keys, std::string_view prefix);

 private:
  WorkloadShape shape_;
  std::string pattern_;
};

}  // namespace unbuckle::mcbench
