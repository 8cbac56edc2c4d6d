#include "control/control_server.h"

#include <grp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <vector>

#include "control/control_protocol.h"
#include "control/peer_access.h"
#include "control/request_handler.h"

namespace unbuckle::control {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kBacklog = 16;
constexpr mode_t kSocketMode = 0660;

Result<sockaddr_un> addressOf(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    return Error{"--control-socket " + path + ": longer than " + std::to_string(sizeof address.sun_path - 1) +
                 " bytes, the most a Unix socket path may have"};
  }
  path.copy(address.sun_path, path.size());
  return address;
}

// The group's id and name: --control-group, or the daemon's own group.
Result<std::pair<gid_t, std::string>> controlGroup(const std::string& name) {
  if (name.empty()) {
    const gid_t gid = getegid();
    const group* entry = getgrgid(gid);
    return std::make_pair(gid, entry ? std::string(entry->gr_name) : std::to_string(gid));
  }
  const group* entry = getgrnam(name.c_str());
  if (!entry) return Error{"--control-group: no group named '" + name + "'"};
  return std::make_pair(entry->gr_gid, name);
}

// A socket file at `path` that nobody listens on is left over from a daemon
// that did not stop cleanly: removed. One that answers is another daemon.
Result<bool> clearStaleSocket(const std::string& path, const sockaddr_un& address) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return true;
    return systemError("--control-socket " + path, errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Error{"--control-socket " + path + " exists and is not a socket: remove it or choose another path"};
  }
  const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return systemError("control socket", errno);
  const int connected = connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  const int error = errno;
  close(probe);
  if (connected == 0) {
    return Error{"another unbuckle-xdp is running: it listens on " + path +
                 " (stop it, or give this one another --control-socket)"};
  }
  if (error != ECONNREFUSED) return systemError("--control-socket " + path, error);
  if (unlink(path.c_str()) != 0) {
    return systemError("cannot remove the stale control socket " + path, errno);
  }
  spdlog::info("control socket: removed {}, left by a daemon that did not stop cleanly", path);
  return true;
}

// One client: what it sent that has no line end yet, and the replies it
// has not read.
struct Connection {
  int fd = -1;
  Peer peer;
  std::string input;
  std::string output;
  bool close_after_output = false;
  Clock::time_point deadline;
};

// Sends what the kernel takes now; false when the client is gone.
bool flush(Connection& connection) {
  while (!connection.output.empty()) {
    const ssize_t sent = send(connection.fd, connection.output.data(), connection.output.size(),
                              MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    connection.output.erase(0, static_cast<size_t>(sent));
  }
  return true;
}

// Answers every complete line of the input; false to close the connection.
bool readRequests(Connection& connection, DaemonControl& control) {
  char buffer[4096];
  const ssize_t received = recv(connection.fd, buffer, sizeof buffer, MSG_DONTWAIT);
  if (received == 0) return false;
  if (received < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  connection.input.append(buffer, static_cast<size_t>(received));
  size_t line_end;
  while ((line_end = connection.input.find('\n')) != std::string::npos) {
    const std::string line = connection.input.substr(0, line_end);
    connection.input.erase(0, line_end + 1);
    spdlog::debug("control: uid {} pid {}: {}", connection.peer.uid, connection.peer.pid, line);
    connection.output += answerRequest(line, control);
    connection.deadline = Clock::now() + std::chrono::milliseconds(kIdleTimeoutMs);
  }
  if (connection.input.size() > kMaxRequestLine) {
    connection.output += errorReply("request longer than " + std::to_string(kMaxRequestLine) + " bytes");
    connection.input.clear();
    connection.close_after_output = true;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::create(const ControlSocketOptions& options) {
  auto address = addressOf(options.path);
  if (!address.ok()) return address.failure();
  auto group = controlGroup(options.group);
  if (!group.ok()) return group.failure();
  const std::filesystem::path directory = std::filesystem::path(options.path).parent_path();
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return Error{"cannot create " + directory.string() + " for the control socket: " + error.message()};
  auto cleared = clearStaleSocket(options.path, address.value());
  if (!cleared.ok()) return cleared.failure();

  std::unique_ptr<ControlServer> server(new ControlServer());
  server->path_ = options.path;
  server->group_ = group.value().first;
  server->group_name_ = group.value().second;
  server->listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (server->listen_fd_ < 0) return systemError("control socket", errno);
  const sockaddr_un& a = address.value();
  if (bind(server->listen_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    return systemError("cannot make the control socket " + options.path, errno);
  }
  struct stat st {};
  if (stat(options.path.c_str(), &st) == 0) server->inode_ = st.st_ino;
  if (chmod(options.path.c_str(), kSocketMode) != 0 ||
      chown(options.path.c_str(), static_cast<uid_t>(-1), server->group_) != 0) {
    return systemError("cannot give the control socket " + options.path + " mode 0660 and group " + server->group_name_,
                       errno);
  }
  if (listen(server->listen_fd_, kBacklog) != 0) {
    return systemError("cannot listen on the control socket " + options.path, errno);
  }
  server->stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (server->stop_fd_ < 0) return systemError("control socket: eventfd", errno);
  return server;
}

ControlServer::~ControlServer() {
  stop();
  if (stop_fd_ >= 0) close(stop_fd_);
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    // Only our own file: a later daemon may have replaced it.
    struct stat st {};
    if (inode_ != 0 && stat(path_.c_str(), &st) == 0 && st.st_ino == inode_) unlink(path_.c_str());
  }
}

void ControlServer::start(DaemonControl& control) {
  thread_ = std::jthread([this, &control](std::stop_token stop) { serve(stop, control); });
  spdlog::info("control socket {} (mode 0660, group {}): unbucklectl --control-socket {} status", path_,
               group_name_, path_);
}

void ControlServer::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  const uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) < 0) {
    spdlog::warn("control socket: cannot wake its thread: {}", strerror(errno));
  }
  thread_.join();
}

void ControlServer::serve(std::stop_token stop, DaemonControl& control) {
  std::vector<Connection> connections;
  const auto closeConnection = [&connections](size_t i) {
    close(connections[i].fd);
    connections.erase(connections.begin() + static_cast<ptrdiff_t>(i));
  };
  std::vector<pollfd> fds;
  while (!stop.stop_requested()) {
    fds.assign({{stop_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}});
    Clock::time_point next_deadline = Clock::time_point::max();
    for (const Connection& connection : connections) {
      // No more requests from a client until it has read its replies.
      fds.push_back({connection.fd, static_cast<short>(connection.output.empty() ? POLLIN : POLLOUT), 0});
      next_deadline = std::min(next_deadline, connection.deadline);
    }
    int timeout = -1;
    if (next_deadline != Clock::time_point::max()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline - Clock::now());
      timeout = static_cast<int>(std::max<int64_t>(0, left.count()) + 1);
    }
    if (poll(fds.data(), fds.size(), timeout) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("control socket: poll: {}; unbucklectl is no longer served", strerror(errno));
      break;
    }
    if (fds[0].revents != 0) break;
    // Served from the back so that closing one keeps the indexes in front.
    const Clock::time_point now = Clock::now();
    for (size_t i = connections.size(); i-- > 0;) {
      Connection& connection = connections[i];
      const short events = fds[i + 2].revents;
      bool keep = true;
      // First, so that a client trickling bytes never completing a line
      // is closed on time too.
      if (now >= connection.deadline) {
        spdlog::debug("control: closing the connection of uid {} pid {}: no request for {} ms", connection.peer.uid,
                      connection.peer.pid, kIdleTimeoutMs);
        keep = false;
      } else if (events & (POLLERR | POLLHUP | POLLNVAL) && !(events & POLLIN)) {
        keep = false;
      } else if (events & POLLOUT) {
        keep = flush(connection) && !(connection.output.empty() && connection.close_after_output);
      } else if (events & POLLIN) {
        keep = readRequests(connection, control) && flush(connection) &&
               !(connection.output.empty() && connection.close_after_output);
      }
      if (!keep) closeConnection(i);
    }
    if (fds[1].revents & POLLIN) {
      while (true) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        Connection connection;
        connection.fd = fd;
        const std::optional<Peer> peer = peerOf(fd);
        std::string refusal;
        if (!peer) {
          refusal = "permission denied on " + path_ + ": the kernel does not say who is connecting";
        } else if (!mayControl(*peer, geteuid(), group_)) {
          refusal = "permission denied on " + path_ + ": uid " + std::to_string(peer->uid) +
                    " is not root, the daemon's user or a member of group " + group_name_ + " (run as root or as a " +
                    "member of group " + group_name_ + ")";
        } else if (connections.size() >= kMaxConnections) {
          refusal = "too many control connections (at most " + std::to_string(kMaxConnections) + "); try again";
        }
        if (!refusal.empty()) {
          spdlog::warn("control socket: refused pid {} uid {}: {}", peer ? peer->pid : 0, peer ? peer->uid : 0,
                       refusal);
          connection.output = errorReply(refusal);
          flush(connection);
          close(fd);
          continue;
        }
        connection.peer = *peer;
        connection.deadline = Clock::now() + std::chrono::milliseconds(kIdleTimeoutMs);
        connections.push_back(std::move(connection));
      }
    }
  }
  for (const Connection& connection : connections) close(connection.fd);
}

}  // namespace unbuckle::control
