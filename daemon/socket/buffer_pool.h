// Memory that TCP connections share for their buffers beyond what each one
// is guaranteed (InputBuffer::kGuaranteed in, OutputBuffer::kGuaranteed
// out). It bounds what all connections together hold, whatever their
// number: a client that declares a large value, never ends a line, or
// never reads its replies draws from here, and once the pool is empty the
// next one is refused (see tcp_connection.h) instead of growing the heap.
#pragma once

#include <atomic>
#include <cstddef>

namespace unbuckle::net {

class BufferPool {
 public:
  explicit BufferPool(size_t capacity) : capacity_(capacity) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Borrows `n` bytes; false (and nothing borrowed) if fewer are free.
  bool take(size_t n) {
    size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (n > capacity_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void give(size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

  size_t available() const { return capacity_ - used_.load(std::memory_order_relaxed); }
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  std::atomic<size_t> used_{0};
};

}  // namespace unbuckle::net
