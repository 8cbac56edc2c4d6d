// The daemon's control socket (protocol: control_protocol.h). create()
// makes the Unix socket at --control-socket: its directory when missing,
// mode 0660, group --control-group; it refuses when another daemon already
// listens there and replaces a stale socket file. start() serves it on one
// thread with poll(): at most kMaxConnections clients, each closed after
// kIdleTimeoutMs without a complete request, requests answered in order and
// no more read from a client until it has read its replies, so a slow or
// hostile client costs the daemon one descriptor and never blocks anything
// but the control thread. The destructor stops the thread and removes the
// socket file.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>

#include "control/daemon_control.h"
#include "result.h"

namespace unbuckle::control {

struct ControlSocketOptions {
  std::string path;
  std::string group;   // empty: the daemon's own group
};

class ControlServer {
 public:
  static constexpr size_t kMaxConnections = 8;

  static Result<std::unique_ptr<ControlServer>> create(const ControlSocketOptions& options);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Serves requests with `control`, which outlives stop().
  void start(DaemonControl& control);
  // Closes every client and joins the thread. Idempotent.
  void stop();

  const std::string& path() const { return path_; }
  const std::string& groupName() const { return group_name_; }

 private:
  ControlServer() = default;
  void serve(std::stop_token stop, DaemonControl& control);

  std::string path_;
  std::string group_name_;
  gid_t group_ = 0;
  ino_t inode_ = 0;   // of the socket file made, so that only it is removed
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  std::jthread thread_;
};

}  // namespace unbuckle::control
