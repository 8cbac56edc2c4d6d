// The client tests' servers: a socket bound to 127.0.0.1 on a port the
// kernel picks.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstdint>

#include "unbuckle/file_descriptor.h"

namespace unbuckle::client {

// `type` is SOCK_STREAM or SOCK_DGRAM; the port chosen is put in `port`.
inline FileDescriptor boundLoopbackSocket(int type, uint16_t& port) {
  FileDescriptor fd(socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

}  // namespace unbuckle::client
