// A TCP server of the client tests' own on 127.0.0.1, in a thread: it
// accepts one connection and answers each request line as the test says.
#pragma once

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loopback_socket.h"
#include "unbuckle/file_descriptor.h"

namespace unbuckle::client {

// Accepts one connection and answers each request line with `answer(line)`,
// until the client closes it.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<std::string(const std::string&)> answer)
      : listener_(boundLoopbackSocket(SOCK_STREAM, port_)), answer_(std::move(answer)) {
    EXPECT_EQ(listen(listener_.get(), 1), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    shutdown(listener_.get(), SHUT_RDWR);
    thread_.join();
  }

  uint16_t port() const { return port_; }
  // The lines read; whole once the client has closed the connection.
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  void serve() {
    const FileDescriptor peer(accept(listener_.get(), nullptr, nullptr));
    if (!peer) return;
    std::string input;
    char buffer[4096];
    for (;;) {
      const ssize_t n = recv(peer.get(), buffer, sizeof(buffer), 0);
      if (n <= 0) return;
      input.append(buffer, static_cast<size_t>(n));
      for (size_t end = input.find("\r\n"); end != std::string::npos; end = input.find("\r\n")) {
        const std::string line = input.substr(0, end);
        input.erase(0, end + 2);
        {
          std::lock_guard lock(mutex_);
          lines_.push_back(line);
        }
        const std::string reply = answer_(line);
        if (send(peer.get(), reply.data(), reply.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(reply.size())) return;
      }
    }
  }

  uint16_t port_ = 0;  // set by the socket's initialiser, so declared first
  FileDescriptor listener_;
  std::function<std::string(const std::string&)> answer_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
  std::thread thread_;
};

}  // namespace unbuckle::client
