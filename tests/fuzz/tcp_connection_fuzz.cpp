// The client library's TCP connection (client/tcp_connection.h) against a
// server on 127.0.0.1 that this target plays: up to 8 pipelined requests of
// any kind, then any bytes as the replies, written in pieces the input cuts,
// with the connection progressing after each; then, if the input says so,
// the server closes, and the client closes.
//
// Input: byte 0: how many requests (1..8), whether the server closes at the
// end and whether the client does; then a byte per request, its kind; a
// byte whose low 3 bits are
// how many of the next bytes cut the replies (each a fraction of the rest);
// the rest is the reply stream.
// The oracle is frameReply() over the whole stream, request after request
// (client_reply_fuzz checks that framing read by read agrees with it): each
// complete reply must come back as exactly its bytes, in order; from the
// first corrupt one, every request left must fail; a reply cut short by
// either side's close fails with the rest, and without a close stays
// pending; after the client's close of a connection that had not failed, the
// next request connects at once and gets its reply. Findings: those, a crash
// or sanitizer report, an exception.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/server_address.h"
#include "client/tcp_connection.h"
#include "client/tcp_reply_framing.h"
#include "finding.h"
#include "unbuckle/file_descriptor.h"

namespace unbuckle::fuzz {
namespace {

using client::CommandKind;
using client::CommandReply;
using client::Framing;

constexpr CommandKind kKinds[] = {CommandKind::kLine, CommandKind::kValues, CommandKind::kMeta, CommandKind::kStats};

// The server end: a listening socket on 127.0.0.1, made once.
class Listener {
 public:
  Listener() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (!fd_ || bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(fd_.get(), 4) != 0 ||
        getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      finding("cannot listen on 127.0.0.1");
    }
    address_ = client::resolveServer("127.0.0.1", ntohs(address.sin_port));
  }
  const client::ServerAddress& address() const { return address_; }

  // The connection `connection` makes, accepted while it progresses.
  FileDescriptor accept(client::TcpConnection& connection) {
    for (int i = 0; i < 1000; ++i) {
      connection.progress();
      pollfd ready{fd_.get(), POLLIN, 0};
      if (poll(&ready, 1, 1) == 1) return FileDescriptor(::accept(fd_.get(), nullptr, nullptr));
    }
    finding("the client did not connect within a second");
  }

 private:
  FileDescriptor fd_;
  client::ServerAddress address_;
};

// Lets the connection read whatever has been sent to it.
void drain(client::TcpConnection& connection) {
  for (int i = 0; i < 100; ++i) {
    connection.progress();
    pollfd ready{connection.fd(), POLLIN, 0};
    if (connection.fd() < 0 || poll(&ready, 1, 1) != 1) return;
  }
}

struct Expected {
  std::vector<std::string> replies;  // the complete ones, in order
  bool corrupt = false;              // the next request's reply cannot be framed
  bool unrequested = false;          // bytes after the last request's reply
};

Expected frameWhole(std::string_view stream, const std::vector<CommandKind>& kinds) {
  Expected expected;
  size_t at = 0;
  for (const CommandKind kind : kinds) {
    const Framing framing = client::frameReply(stream.substr(at), kind);
    if (framing.status == Framing::Status::kNeedMore) return expected;
    if (framing.status == Framing::Status::kCorrupt) {
      expected.corrupt = true;
      return expected;
    }
    expected.replies.emplace_back(stream.substr(at, framing.length));
    at += framing.length;
  }
  expected.unrequested = at < stream.size();
  return expected;
}

// After the client's close, a request connects again at once (no backoff)
// and its reply comes back whole.
void checkReconnect(Listener& listener, client::TcpConnection& connection, uint64_t ticket) {
  connection.queue(ticket, "version\r\n", CommandKind::kLine);
  if (!connection.takeCompleted().empty()) finding("a request after the client's close failed at once");
  const FileDescriptor peer = listener.accept(connection);
  const std::string_view reply = "VERSION 1.6.18\r\n";
  if (send(peer.get(), reply.data(), reply.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(reply.size())) {
    finding("cannot answer the reconnected client");
  }
  drain(connection);
  const auto completed = connection.takeCompleted();
  if (completed.size() != 1 || completed[0].first != ticket || completed[0].second.bytes != reply) {
    finding("the request after the client's close did not get its reply");
  }
}

void run(std::string_view input) {
  static Listener listener;
  static const client::ClientOptions options;
  const auto first = static_cast<uint8_t>(input[0]);
  const size_t count = 1 + first % 8;
  const bool close_at_end = first & 0x08;
  const bool client_closes = first & 0x10;
  input.remove_prefix(1);
  std::vector<CommandKind> kinds;
  for (size_t i = 0; i < count; ++i) {
    kinds.push_back(kKinds[i < input.size() ? static_cast<uint8_t>(input[i]) % 4 : 0]);
  }
  input.remove_prefix(std::min(input.size(), count));
  const size_t cut_count = input.empty() ? 0 : std::min<size_t>(static_cast<uint8_t>(input[0]) & 7, input.size() - 1);
  const std::string_view cuts = input.substr(input.empty() ? 0 : 1, cut_count);
  const std::string_view stream = input.substr(std::min(input.size(), 1 + cut_count));

  client::TcpConnection connection(listener.address(), options);
  for (size_t i = 0; i < count; ++i) connection.queue(i + 1, "version\r\n", kinds[i]);
  FileDescriptor peer = listener.accept(connection);
  size_t sent = 0;
  const auto sendTo = [&](size_t end) {
    while (sent < end) {
      const ssize_t n = send(peer.get(), stream.data() + sent, end - sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the client gave up on the connection
      sent += static_cast<size_t>(n);
      drain(connection);
    }
  };
  size_t end = 0;
  for (const char cut : cuts) {
    end += (stream.size() - end) * static_cast<uint8_t>(cut) / 256;
    sendTo(end);
  }
  sendTo(stream.size());
  if (close_at_end) peer.reset();
  drain(connection);
  if (client_closes) connection.close();

  std::vector<std::pair<uint64_t, CommandReply>> completed = connection.takeCompleted();
  const Expected expected = frameWhole(stream, kinds);
  if (completed.size() < expected.replies.size()) finding("complete replies that did not come back");
  for (size_t i = 0; i < expected.replies.size(); ++i) {
    if (completed[i].first != i + 1) finding("replies out of order");
    if (!completed[i].second.error.empty() || completed[i].second.bytes != expected.replies[i]) {
      finding("a reply that is not its bytes of the stream");
    }
  }
  const bool rest_fail = expected.corrupt || close_at_end || client_closes;
  const size_t answered = rest_fail ? count : expected.replies.size();
  if (completed.size() != answered) finding("requests left pending or completed twice");
  for (size_t i = expected.replies.size(); i < completed.size(); ++i) {
    if (completed[i].first != i + 1 || completed[i].second.error.empty()) finding("a request that should have failed");
  }
  const bool failed_before_close = expected.corrupt || expected.unrequested || close_at_end;
  if (client_closes && !failed_before_close) checkReconnect(listener, connection, count + 1);
}

}  // namespace
}  // namespace unbuckle::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  unbuckle::fuzz::failOnException(
      [&] { unbuckle::fuzz::run(std::string_view(reinterpret_cast<const char*>(data), size)); });
  return 0;
}
