// Bytes read from a TCP connection that the engine has not consumed yet.
// It grows towards what the incomplete command needs, never beyond `limit`
// and, past kGuaranteed bytes, only as far as the shared BufferPool lends;
// it gives memory back once a large request has been consumed.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "socket/buffer_pool.h"

namespace unbuckle::net {

class InputBuffer {
 public:
  static constexpr size_t kInitialSize = 16 * 1024;   // memcached's read buffer
  static constexpr size_t kGuaranteed = kInitialSize;  // held without the pool
  static constexpr size_t kMinRead = 4096;

  InputBuffer(size_t limit, BufferPool& pool) : limit_(limit), pool_(pool) {}
  ~InputBuffer() { pool_.give(borrowed_); }
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;

  std::string_view data() const { return {storage_.data() + begin_, end_ - begin_}; }
  void consume(size_t n);

  // Free space to read into, sized so that the unconsumed bytes can reach
  // `want` in total (as far as `limit` and the pool allow). Empty when the
  // buffer holds `limit` unconsumed bytes, or is full and the pool lends
  // nothing more (starved()).
  std::span<char> space(size_t want);
  // `n` bytes were read into space().
  void commit(size_t n) { end_ += n; }

  // No more bytes can come in: the limit is reached or the pool is empty.
  bool full() const { return end_ - begin_ >= limit_ || starved_; }
  bool starved() const { return starved_; }
  // How many unconsumed bytes the buffer could hold now, pool permitting.
  size_t reachable() const;
  size_t capacity() const { return storage_.size(); }

 private:
  // Borrows from the pool what a buffer of `size` bytes needs beyond the
  // guarantee; false if the pool cannot lend it.
  bool borrowFor(size_t size);
  void release();

  size_t limit_;
  BufferPool& pool_;
  size_t borrowed_ = 0;
  bool starved_ = false;
  std::vector<char> storage_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace unbuckle::net
