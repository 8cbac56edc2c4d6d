// The client library's UDP multi-get (client/udp_reader.h) against a server
// on 127.0.0.1 that this target plays: it answers each request as memcached
// 1.6 does (a message per hit, END appended to the last key's, alone when
// it misses; or coalesced, messages sharing datagrams as unbuckle-xdp's
// --udp-coalesce-replies sends them), then the input drops, duplicates,
// truncates and reorders those datagrams and adds strays (short junk, or
// copies under request ids the reader does not use in the run).
//
// Input: byte 0: keys (1..8), with or without cas, sink or map, coalesced;
// byte 1: keys per request (0: as many as fit), retries; then a byte per
// key, its value's length class (0: a miss); the rest is the script, one
// byte per reply datagram (deliver, drop, duplicate, truncate, hold back
// to the end, or a stray first). Once the script is used up, every datagram
// is delivered as is.
// Findings: a crash or sanitizer report, an exception, a value handed over
// that is not the key's (data, flags, cas), a key handed over twice or not
// asked, a multi-get still open a second after it started, and a
// miss when no datagram was touched and no request timed out.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "client/server_address.h"
#include "client/udp_reader.h"
#include "finding.h"
#include "unbuckle/mc_udp.h"
#include "unbuckle/mc_udp_frame.h"

namespace unbuckle::fuzz {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxKeys = 8;
// 0 is a miss; the others one datagram, about one, and several.
constexpr size_t kValueLengths[] = {0, 0, 1, 30, 200, 1360, 1392, 1500, 2800, 5000};

struct Stored {
  std::string value;
  uint32_t flags = 0;
  uint64_t cas = 0;
};

std::string keyName(size_t index) { return "key" + std::to_string(index); }

Stored storedValue(size_t index, size_t length) {
  Stored stored{std::string(length, '\0'), static_cast<uint32_t>(index * 3 + 1), 1000 + index};
  for (size_t j = 0; j < length; ++j) stored.value[j] = static_cast<char>('a' + (index * 7 + j) % 26);
  return stored;
}

// The server end: one socket on 127.0.0.1, made once.
class Server {
 public:
  Server() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      finding("cannot bind the server's UDP socket on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
  }
  uint16_t port() const { return port_; }

  // A datagram sent to the server, with where it came from; false if none.
  bool receive(std::string& datagram, sockaddr_in& from) {
    char buffer[65536];
    socklen_t length = sizeof(from);
    const ssize_t got = recvfrom(fd_, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &length);
    if (got < 0) return false;
    datagram.assign(buffer, static_cast<size_t>(got));
    return true;
  }
  void send(std::string_view datagram, const sockaddr_in& to) {
    sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to));
  }

 private:
  int fd_;
  uint16_t port_ = 0;
};

std::string withHeader(uint16_t id, uint16_t sequence, uint16_t total, std::string_view payload) {
  std::string datagram(MC_UDP_HEADER_SIZE, '\0');
  writeFrameHeader(FrameHeader{id, sequence, total, 0}, datagram.data());
  datagram += payload;
  return datagram;
}

// Splits a message into datagrams of at most MC_UDP_DATA_SIZE payload bytes.
void appendMessage(uint16_t id, std::string_view message, std::vector<std::string>& out) {
  const size_t total = std::max<size_t>(1, (message.size() + MC_UDP_DATA_SIZE - 1) / MC_UDP_DATA_SIZE);
  for (size_t sequence = 0; sequence < total; ++sequence) {
    out.push_back(withHeader(id, static_cast<uint16_t>(sequence), static_cast<uint16_t>(total),
                             message.substr(sequence * MC_UDP_DATA_SIZE, MC_UDP_DATA_SIZE)));
  }
}

// The reply datagrams to one request ("get k1 k2\r\n" after its header).
std::vector<std::string> answer(std::string_view request, const std::map<std::string, Stored, std::less<>>& store,
                                bool coalesce) {
  const FrameHeader header = readFrameHeader(request.data());
  std::string_view text = request.substr(MC_UDP_HEADER_SIZE);
  const bool with_cas = text.starts_with("gets ");
  text.remove_prefix(with_cas ? 5 : 4);
  if (!text.ends_with("\r\n")) finding("a request that does not end in CRLF");
  text.remove_suffix(2);
  // memcached 1.6: a message per key that hits, END appended to the last
  // key's, so alone when the last key misses.
  std::vector<std::string> messages;
  bool last_hit = false;
  for (size_t at = 0; at <= text.size();) {
    const size_t space = std::min(text.find(' ', at), text.size());
    const auto found = store.find(text.substr(at, space - at));
    at = space + 1;
    last_hit = found != store.end();
    if (!last_hit) continue;
    const Stored& stored = found->second;
    std::string message = "VALUE " + found->first + " " + std::to_string(stored.flags) + " " +
                          std::to_string(stored.value.size());
    if (with_cas) message += " " + std::to_string(stored.cas);
    messages.push_back(message + "\r\n" + stored.value + "\r\n");
  }
  if (last_hit) {
    messages.back() += "END\r\n";
  } else {
    messages.push_back("END\r\n");
  }
  std::vector<std::string> datagrams;
  std::string shared;  // coalesced: whole messages sharing one datagram
  for (const std::string& message : messages) {
    if (coalesce && shared.size() + message.size() <= MC_UDP_DATA_SIZE) {
      shared += message;
      continue;
    }
    if (!shared.empty()) appendMessage(header.request_id, shared, datagrams);
    shared.clear();
    if (coalesce && message.size() <= MC_UDP_DATA_SIZE) {
      shared = message;
    } else {
      appendMessage(header.request_id, message, datagrams);
    }
  }
  if (!shared.empty()) appendMessage(header.request_id, shared, datagrams);
  return datagrams;
}

class Script {
 public:
  explicit Script(std::string_view bytes) : bytes_(bytes) {}
  bool touched() const { return touched_; }

  // What happens to `datagrams` on their way back: the ones to send, in order.
  std::vector<std::string> apply(std::vector<std::string> datagrams) {
    std::vector<std::string> sent;
    std::vector<std::string> held;
    for (std::string& datagram : datagrams) {
      if (bytes_.empty()) {
        sent.push_back(std::move(datagram));
        continue;
      }
      const uint8_t op = static_cast<uint8_t>(bytes_[0]);
      bytes_.remove_prefix(1);
      touched_ = touched_ || op % 6 != 0;
      switch (op % 6) {
        case 0: sent.push_back(std::move(datagram)); break;
        case 1: break;  // lost
        case 2:
          sent.push_back(datagram);
          sent.push_back(std::move(datagram));
          break;
        case 3: sent.push_back(datagram.substr(0, op / 6 * datagram.size() / 43)); break;
        case 4: held.push_back(std::move(datagram)); break;
        case 5: sent.push_back(stray(op / 6, datagram)); sent.push_back(std::move(datagram)); break;
      }
    }
    for (std::string& datagram : held) sent.push_back(std::move(datagram));
    return sent;
  }

 private:
  // Short junk, or a copy of `datagram` under an id half the id space away:
  // one the reader, whose ids advance by one per request, does not use in
  // this run (a datagram under an id it will use is a forgery it cannot tell).
  static std::string stray(unsigned kind, std::string datagram) {
    if (kind % 4 == 0) return datagram.substr(0, kind % 8);
    FrameHeader header = readFrameHeader(datagram.data());
    header.request_id = static_cast<uint16_t>(header.request_id + 0x8000 + kind);
    writeFrameHeader(header, datagram.data());
    return datagram;
  }

  std::string_view bytes_;
  bool touched_ = false;
};

void run(std::string_view input) {
  static Server server;
  const auto flags = static_cast<uint8_t>(input[0]);
  const auto more = static_cast<uint8_t>(input[1]);
  const size_t key_count = 1 + flags % kMaxKeys;
  const bool with_cas = flags & 0x08;
  const bool use_sink = flags & 0x10;
  const bool coalesce = flags & 0x20;
  input.remove_prefix(2);

  std::vector<std::string> keys;
  std::map<std::string, Stored, std::less<>> store;
  for (size_t i = 0; i < key_count; ++i) {
    keys.push_back(keyName(i));
    const size_t length_class = i < input.size() ? static_cast<uint8_t>(input[i]) % std::size(kValueLengths) : 2;
    if (length_class != 0) store.emplace(keys.back(), storedValue(i, kValueLengths[length_class]));
  }
  input.remove_prefix(std::min(input.size(), key_count));
  Script script(input);

  client::ClientOptions options;
  options.udp_timeout = std::chrono::milliseconds(5);
  options.udp_retries = more & 1;
  options.udp_keys_per_request = (more >> 1) % 4;
  const client::ServerAddress address = client::resolveServer("127.0.0.1", server.port());
  client::UdpReader reader(address, options);

  std::map<std::string, Stored, std::less<>> handed;
  const auto check = [&](std::string_view key, uint32_t value_flags, std::string_view value, uint64_t cas) {
    const auto stored = store.find(key);
    if (stored == store.end()) finding("a value handed over for a key that misses or was not asked");
    if (stored->second.value != value || stored->second.flags != value_flags ||
        (with_cas ? stored->second.cas : 0) != cas) {
      finding("a value handed over that is not the key's");
    }
    if (!handed.emplace(std::string(key), stored->second).second) finding("a key handed over twice");
  };
  client::ValueSink sink;
  if (use_sink) sink = [&](const client::ValueView& hit) { check(hit.key, hit.flags, hit.value, hit.cas); };
  reader.start(1, keys, with_cas, sink);

  // Requests go out in progress(); each is answered as it arrives. Every
  // request ends by its 5 ms deadline, asked again at most once per retry,
  // and keys asked alone after a long reply add one round of requests: some
  // 30 ms in all. A second leaves room for a loaded machine and stays under
  // the 2 s that tools/check.sh and tools/fuzz.sh allow an input.
  const auto give_up = Clock::now() + std::chrono::seconds(1);
  bool timed_out = false;
  for (;;) {
    reader.progress();
    if (auto result = reader.take(1)) {
      for (const auto& [key, item] : result->items) check(key, item.flags, item.value, item.cas);
      timed_out = result->timed_out;
      break;
    }
    if (Clock::now() > give_up) finding("a multi-get still open a second after it started");
    std::string request;
    sockaddr_in from{};
    bool answered = false;
    while (server.receive(request, from)) {
      if (request.size() < MC_UDP_HEADER_SIZE) finding("a request shorter than its frame header");
      for (const std::string& datagram : script.apply(answer(request, store, coalesce))) {
        server.send(datagram, from);
      }
      answered = true;
    }
    if (!answered) {
      pollfd ready{reader.fd(), POLLIN, 0};
      poll(&ready, 1, 1);
    }
  }
  // A stalled machine can time a request out; a miss without one is a bug.
  if (!script.touched() && !timed_out && handed.size() != store.size()) {
    finding("a miss although no datagram was touched and no request timed out");
  }
}

}  // namespace
}  // namespace unbuckle::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  unbuckle::fuzz::failOnException(
      [&] { unbuckle::fuzz::run(std::string_view(reinterpret_cast<const char*>(data), size)); });
  return 0;
}
