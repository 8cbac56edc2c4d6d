// Replies waiting to be written to a TCP connection: the engine's ReplySink
// for streams. The unsent bytes are bounded by `limit` (the connection runs
// no new command while its backlog is high, so this bounds what one command
// may produce, e.g. a get of thousands of large keys): a response that would
// cross it is replaced by memcached's "SERVER_ERROR out of memory writing
// get response" and the connection closes once that is sent.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proto/reply_sink.h"

namespace unbuckle::net {

class OutputBuffer final : public proto::ReplySink {
 public:
  explicit OutputBuffer(size_t limit) : limit_(limit) {}

  void append(std::string_view bytes) override;
  void endResponse() override { response_start_ = bytes_.size(); }

  std::string_view pending() const { return std::string_view(bytes_).substr(sent_); }
  size_t size() const { return bytes_.size() - sent_; }
  // `n` bytes of pending() were written.
  void consume(size_t n);
  bool overflowed() const { return overflowed_; }

 private:
  size_t limit_;
  std::string bytes_;
  size_t sent_ = 0;
  size_t response_start_ = 0;   // where the response under construction begins
  bool overflowed_ = false;
};

}  // namespace unbuckle::net
