#include "control_connection.h"

#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

namespace unbuckle::ctl {
namespace {

// Closes the descriptor on every path out.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) close(fd);
  }
};

// "as a member of group G", G being the socket's group, when it can be seen.
std::string groupHint(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "as a member of the socket's group";
  const group* entry = getgrgid(st.st_gid);
  return "as a member of group " + (entry ? std::string(entry->gr_name) : std::to_string(st.st_gid));
}

Error connectError(const std::string& path, int error) {
  const std::string where = "cannot reach unbuckle-xdp at " + path + ": ";
  switch (error) {
    case ENOENT:
      return {where + "no such file (is the daemon running? systemctl start unbuckle-xdp)"};
    case ECONNREFUSED:
      return {where + "nobody listens there (the daemon stopped without removing it? systemctl start unbuckle-xdp)"};
    case EACCES:
    case EPERM:
      return {"permission denied on " + path + " (run as root or " + groupHint(path) + ")"};
    default:
      return {where + strerror(error)};
  }
}

}  // namespace

Result<control::Reply> exchange(const std::string& socket_path, const std::string& request_line) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) {
    return Error{"--control-socket " + socket_path + " is longer than a Unix socket path may be (" +
                 std::to_string(sizeof address.sun_path - 1) + " bytes)"};
  }
  socket_path.copy(address.sun_path, socket_path.size());
  Descriptor socket_fd{socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (socket_fd.fd < 0) return Error{std::string("cannot make a Unix socket: ") + strerror(errno)};
  const timeval timeout{kReplyTimeoutSeconds, 0};
  setsockopt(socket_fd.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(socket_fd.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect(socket_fd.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return connectError(socket_path, errno);
  }
  const std::string no_answer = "unbuckle-xdp at " + socket_path + " ";
  size_t sent = 0;
  while (sent < request_line.size()) {
    const ssize_t n = send(socket_fd.fd, request_line.data() + sent, request_line.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      // A refused peer is told why and closed: read that first.
      break;
    }
    sent += static_cast<size_t>(n);
  }
  std::string received;
  char buffer[65536];
  while (true) {
    const control::Reply reply = control::parseReply(received);
    if (reply.state == control::Reply::State::kOk || reply.state == control::Reply::State::kError) return reply;
    if (reply.state == control::Reply::State::kMalformed) {
      return Error{no_answer + "sent an unexpected reply: '" + received.substr(0, received.find('\n')) +
                   "' (is it an unbuckle-xdp control socket?)"};
    }
    const ssize_t n = recv(socket_fd.fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Error{no_answer + "did not answer within " + std::to_string(kReplyTimeoutSeconds) + " s"};
    }
    if (n < 0) return Error{no_answer + "failed: " + strerror(errno)};
    if (n == 0) return Error{no_answer + "closed the connection before answering"};
    received.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace unbuckle::ctl
