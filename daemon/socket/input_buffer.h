// Bytes read from a TCP connection that the engine has not consumed yet.
// It grows towards what the incomplete command needs, never beyond `limit`,
// and gives memory back once a large request has been consumed.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace unbuckle::net {

class InputBuffer {
 public:
  static constexpr size_t kInitialSize = 16 * 1024;   // memcached's read buffer
  static constexpr size_t kMinRead = 4096;

  explicit InputBuffer(size_t limit) : limit_(limit) {}

  std::string_view data() const { return {storage_.data() + begin_, end_ - begin_}; }
  void consume(size_t n);

  // Free space to read into, sized so that the unconsumed bytes can reach
  // `want` in total (as far as `limit` allows). Empty when the buffer holds
  // `limit` unconsumed bytes.
  std::span<char> space(size_t want);
  // `n` bytes were read into space().
  void commit(size_t n) { end_ += n; }

  bool full() const { return end_ - begin_ >= limit_; }
  size_t capacity() const { return storage_.size(); }

 private:
  size_t limit_;
  std::vector<char> storage_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace unbuckle::net
