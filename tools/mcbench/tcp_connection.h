// A blocking TCP conversation with a memcached server: write requests, read
// reply lines. Used where simplicity beats speed: preload, fill, stats.
#pragma once

#include <string>
#include <string_view>

#include "unbuckle/file_descriptor.h"
#include "mcbench/memcached_stats.h"
#include "mcbench/target.h"

namespace unbuckle::mcbench {

class TcpConnection {
 public:
  // Throws std::runtime_error when the server cannot be reached.
  explicit TcpConnection(const Endpoint& endpoint);

  void send(std::string_view bytes);
  // The next line without "\r\n", valid until the next call. Throws on EOF
  // and when no line arrives within 10 s.
  std::string_view readLine();
  StatsMap stats();

 private:
  Endpoint endpoint_;
  FileDescriptor fd_;
  std::string input_;
  size_t consumed_ = 0;
};

}  // namespace unbuckle::mcbench
