// Replies waiting to be written to a TCP connection: the engine's ReplySink
// for streams. The unsent bytes are bounded by `limit` (the connection runs
// no new command while its backlog is high, so this bounds what one command
// may produce, e.g. a get of thousands of large keys), and the memory beyond
// kGuaranteed bytes is borrowed from the shared BufferPool: a response that
// would cross the limit or find the pool empty is replaced by memcached's
// "SERVER_ERROR out of memory writing get response" and the connection
// closes once that is sent.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proto/reply_sink.h"
#include "socket/buffer_pool.h"

namespace unbuckle::net {

class OutputBuffer final : public proto::ReplySink {
 public:
  static constexpr size_t kGuaranteed = 64 * 1024;   // held without the pool

  OutputBuffer(size_t limit, BufferPool& pool) : limit_(limit), pool_(pool) {}
  ~OutputBuffer() override { pool_.give(borrowed_); }
  OutputBuffer(const OutputBuffer&) = delete;
  OutputBuffer& operator=(const OutputBuffer&) = delete;

  void append(std::string_view bytes) override;
  void endResponse() override { response_start_ = bytes_.size(); }

  std::string_view pending() const { return std::string_view(bytes_).substr(sent_); }
  size_t size() const { return bytes_.size() - sent_; }
  // `n` bytes of pending() were written.
  void consume(size_t n);
  bool overflowed() const { return overflowed_; }
  size_t capacity() const { return bytes_.capacity(); }

 private:
  // Makes room for `needed` bytes in all, borrowing beyond the guarantee;
  // false if the pool cannot lend it.
  bool reserve(size_t needed);
  // Gives the pool back what the capacity no longer needs.
  void release();

  size_t limit_;
  BufferPool& pool_;
  size_t borrowed_ = 0;
  std::string bytes_;
  size_t sent_ = 0;
  size_t response_start_ = 0;   // where the response under construction begins
  bool overflowed_ = false;
};

}  // namespace unbuckle::net
