// One thread's pipelined TCP conversation with a memcached server for the
// load loop: non-blocking, requests appended to an output buffer, replies
// framed in request order (TCP keeps it) and matched to the slots in a FIFO.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "unbuckle/file_descriptor.h"
#include "mcbench/reply_check.h"
#include "mcbench/target.h"

namespace unbuckle::mcbench {

struct TcpReply {
  uint32_t slot = 0;
  std::string_view message;
};

class TcpChannel {
 public:
  // Connects (2 s timeout); throws std::runtime_error.
  explicit TcpChannel(const Endpoint& endpoint);

  int fd() const { return fd_.get(); }
  bool wantsWrite() const { return written_ < output_.size(); }

  void queue(uint32_t slot, Op op, std::string_view request);
  // Writes what the socket takes now. Throws when the connection failed.
  void flush();
  // Reads what is there and returns the replies completed, in order, valid
  // until the next call. Throws on EOF, errors and unparseable replies.
  std::span<const TcpReply> receive();

 private:
  struct Pending {
    uint32_t slot;
    Op op;
  };

  Endpoint endpoint_;
  FileDescriptor fd_;
  std::string output_;
  size_t written_ = 0;
  std::vector<char> input_;  // [0, filled_) received, [consumed_, filled_) not yet framed
  size_t filled_ = 0;
  size_t consumed_ = 0;
  std::deque<Pending> pending_;
  std::vector<TcpReply> replies_;
};

}  // namespace unbuckle::mcbench
