// The client's one TCP connection to a server: non-blocking, requests
// pipelined through an output buffer, replies framed in request order
// (client/tcp_reply_framing.h) and handed back by ticket. A failed or lost
// connection fails every request in flight and is made again for the next
// request once a backoff has passed (doubling per failure, reset by a reply).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "client/server_address.h"
#include "unbuckle/client.h"
#include "unbuckle/file_descriptor.h"

namespace unbuckle::client {

class TcpConnection {
 public:
  using Clock = std::chrono::steady_clock;

  TcpConnection(const ServerAddress& address, const ClientOptions& options);

  // Queues `request`; connects first if needed. During a backoff the request
  // fails at once (its reply says why).
  void queue(uint64_t ticket, std::string request, CommandKind kind);
  // Connects, writes and reads what the socket allows now.
  void progress();
  // Closes the connection: the requests in flight fail, and the next request
  // connects again (after the backoff of an earlier failure, if any).
  void close();

  // Replies completed (or failed) since the last call.
  std::vector<std::pair<uint64_t, CommandReply>> takeCompleted() { return std::exchange(completed_, {}); }

  int fd() const { return fd_.get(); }
  bool wantsWrite() const { return state_ == State::kConnecting || written_ < output_.size(); }
  bool busy() const { return !pending_.empty(); }

 private:
  enum class State { kDisconnected, kConnecting, kConnected };
  struct Pending {
    uint64_t ticket;
    CommandKind kind;
    size_t framed = 0;  // how far its reply has been framed (frameReply's resume)
  };

  void connect();
  void fail(const std::string& why);
  void drop(const std::string& error);  // fails every request in flight, closes the socket
  void write();
  void read();
  void frame();

  const ServerAddress& address_;
  const ClientOptions& options_;
  State state_ = State::kDisconnected;
  FileDescriptor fd_;
  Clock::time_point connect_deadline_{};
  Clock::time_point retry_after_{};
  std::chrono::milliseconds backoff_{0};
  std::string output_;
  size_t written_ = 0;
  std::vector<char> chunk_;  // what one recv() reads, appended to input_
  std::string input_;
  size_t consumed_ = 0;
  std::deque<Pending> pending_;
  std::vector<std::pair<uint64_t, CommandReply>> completed_;
};

}  // namespace unbuckle::client
