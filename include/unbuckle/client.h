// unbuckle-xdp's memcached client for one server: reads (get, gets, multi-get
// of any number of keys) over UDP, writes and every other command over one
// TCP connection. Built as libunbuckle_client (client/).
//
// UDP reads: the keys are packed into requests that each fit one datagram
// and sent together; replies are reassembled in any order, duplicates and
// strays are dropped, and every reply is validated before a value is
// returned, so a lost or damaged datagram is a miss, never a wrong value.
// A request unanswered after `udp_timeout` is retried `udp_retries` times,
// then its keys are misses (or, with `udp_timeout_is_error`, the blocking
// calls throw TimeoutError).
//
// TCP: requests are pipelined on one connection; a lost connection fails the
// requests in flight (they are not sent again: writes are not idempotent)
// and is made again on the next request, no sooner than a backoff that
// doubles from `reconnect_backoff_min` to `reconnect_backoff_max`.
//
// A ServerClient is not thread-safe and holds no global state: use one per
// thread. Its core never blocks: start*() queue work, poll() sends, receives
// and expires what it can, take*() collect results. The other calls are
// blocking conveniences built on those.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace unbuckle::client {

struct Item {
  uint32_t flags = 0;
  std::string value;
  uint64_t cas = 0;  // set by gets (and mg with c); 0 otherwise
};

// key -> item, for the keys that hit.
using ItemMap = std::unordered_map<std::string, Item>;

// A hit as its reply is parsed: views into the client's receive buffer,
// valid only during the call. `cas` is 0 unless the multi-get was a gets.
struct ValueView {
  std::string_view key;
  uint32_t flags = 0;
  std::string_view value;
  uint64_t cas = 0;
};
// Takes each hit of a multi-get started with one, once, from inside poll()
// (or the blocking call that polls): the values are not copied and nothing
// is allocated per key. It must not call the ServerClient it came from.
using ValueSink = std::function<void(const ValueView&)>;

struct ClientOptions {
  std::chrono::milliseconds udp_timeout{250};
  unsigned udp_retries = 0;
  bool udp_timeout_is_error = false;
  int udp_receive_buffer = 4 << 20;  // SO_RCVBUF bytes (the kernel caps it at rmem_max)
  // Most keys in one UDP request; 0: as many as fit one datagram. 1 asks
  // each key of a multi-get in a request of its own (`get k`), the only
  // request unbuckle-xdp's kernel cache answers from XDP; a server without
  // one pays one request per key.
  unsigned udp_keys_per_request = 0;
  std::chrono::milliseconds tcp_timeout{5000};  // blocking TCP calls, connecting included
  std::chrono::milliseconds reconnect_backoff_min{50};
  std::chrono::milliseconds reconnect_backoff_max{5000};
};

// Server unreachable, connection lost, a reply that cannot be parsed. The
// message names the server and the cause.
class ClientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TimeoutError : public ClientError {
 public:
  using ClientError::ClientError;
};

// The server answered, with an error line (ERROR, CLIENT_ERROR ...,
// SERVER_ERROR ... such as "out of memory storing object") or a reply the
// command does not take. It is up, so a Pool does not count this towards
// marking it dead, as libmemcached counts only failures to reach a server.
class ReplyError : public ClientError {
 public:
  using ClientError::ClientError;
};

enum class StoreResult { kStored, kNotStored, kExists, kNotFound };

// A meta command's reply: "HD", "VA", "EN", "NF", "NS", "EX", "MN" and its
// flags as sent ("f5", "c123"...); `value` for VA. An error line is thrown
// as a ReplyError instead.
struct MetaReply {
  std::string code;
  std::vector<std::string> flags;
  std::optional<std::string> value;
};

// The result of a multi-get started with startGet() or startGetTcp().
struct GetResult {
  ItemMap items;  // empty when the multi-get was given a ValueSink
  bool timed_out = false;  // over UDP, some request got no whole reply: its keys count as misses
};

// A TCP command's reply started with startCommand(): its bytes, or why it
// failed (connection refused or lost, unparseable reply).
struct CommandReply {
  std::string bytes;
  std::string error;  // empty on success
};

enum class CommandKind : uint8_t {
  kLine,    // one reply line (storage, delete, incr/decr, touch, mn, version...)
  kValues,  // VALUE blocks then END (get, gets, gat, gats)
  kMeta,    // mg/ms/md/ma: one line, VA followed by data
  kStats,   // STAT lines then END
};

class ServerClient {
 public:
  using Ticket = uint64_t;

  // Resolves `host` (throws ClientError if it does not resolve) and opens the
  // UDP socket; TCP connects on the first TCP command.
  ServerClient(const std::string& host, uint16_t port, ClientOptions options = {});
  ~ServerClient();
  ServerClient(ServerClient&&) noexcept;
  ServerClient& operator=(ServerClient&&) noexcept;

  const std::string& name() const;  // "host:port"

  // ---- non-blocking core
  // A multi-get over UDP of `keys` (any number; repeats are asked once).
  // Throws std::invalid_argument for a key memcached cannot carry (empty,
  // over 250 bytes, or with a space or control character).
  Ticket startGet(std::span<const std::string> keys, bool with_cas);
  // The same multi-get over TCP: pipelined get lines of at most 2 KiB.
  Ticket startGetTcp(std::span<const std::string> keys, bool with_cas);
  // Either multi-get with its hits handed to `sink` as they are parsed
  // instead of copied into GetResult::items; takeGet() still tells when it
  // is complete (and, over TCP, throws if it failed: the hits already handed
  // over stay handed over).
  Ticket startGet(std::span<const std::string> keys, bool with_cas, ValueSink sink);
  Ticket startGetTcp(std::span<const std::string> keys, bool with_cas, ValueSink sink);
  // One request over TCP: `request` is the whole command, "\r\n" included.
  Ticket startCommand(std::string request, CommandKind kind);
  // Sends, receives and expires what it can; when that completes nothing,
  // waits up to `wait` (or the next UDP deadline) for the sockets and does
  // it once more.
  void poll(std::chrono::milliseconds wait);
  // The result once complete, and then only once. For startGetTcp's, throws
  // ClientError if the connection failed or the server answered an error.
  std::optional<GetResult> takeGet(Ticket ticket);
  std::optional<CommandReply> takeCommand(Ticket ticket);
  // For an event loop of the caller's own: readable UDP/TCP socket (TCP -1
  // while not connected), TCP has bytes to write, earliest UDP deadline.
  int udpFd() const;
  int tcpFd() const;
  bool tcpWantsWrite() const;
  // Closes the TCP connection (TCP commands in flight fail); the next TCP
  // command connects again.
  void disconnect();

  // ---- blocking, over UDP
  std::optional<Item> get(std::string_view key);
  std::optional<Item> gets(std::string_view key);
  ItemMap getMany(std::span<const std::string> keys, bool with_cas = false);

  // ---- blocking, over TCP (throw ClientError on failure, TimeoutError
  // after tcp_timeout)
  ItemMap getManyTcp(std::span<const std::string> keys, bool with_cas = false);
  StoreResult set(std::string_view key, std::string_view value, uint32_t flags = 0, int64_t exptime = 0);
  StoreResult add(std::string_view key, std::string_view value, uint32_t flags = 0, int64_t exptime = 0);
  StoreResult replace(std::string_view key, std::string_view value, uint32_t flags = 0, int64_t exptime = 0);
  StoreResult append(std::string_view key, std::string_view value);
  StoreResult prepend(std::string_view key, std::string_view value);
  StoreResult cas(std::string_view key, std::string_view value, uint64_t cas, uint32_t flags = 0,
                  int64_t exptime = 0);
  bool remove(std::string_view key);  // delete; false when not found
  // Pipelined: every request is sent before the first reply is awaited, so
  // a batch costs about one round trip. One result per item, in order. An
  // error reply for any item throws ReplyError once every reply has come;
  // a lost connection or a timeout throws at once (the items not yet
  // answered may or may not have been done).
  std::vector<StoreResult> setMany(std::span<const std::pair<std::string_view, std::string_view>> items,
                                   uint32_t flags = 0, int64_t exptime = 0);
  std::vector<bool> removeMany(std::span<const std::string_view> keys);  // true for each key deleted
  std::optional<uint64_t> incr(std::string_view key, uint64_t delta);  // nullopt when not found
  std::optional<uint64_t> decr(std::string_view key, uint64_t delta);
  bool touch(std::string_view key, int64_t exptime);  // false when not found
  // A meta command line without "\r\n" ("mg foo v f c", "ms foo 3 T60",
  // "md foo", "ma foo D2", "mn"); `data` is ms's value. Quiet mode (q) is
  // refused with std::invalid_argument: one reply per request is how
  // pipelined replies are matched.
  MetaReply meta(std::string_view command, std::string_view data = {});
  std::map<std::string, std::string> stats(std::string_view group = {});
  std::string version();  // the version the server reports ("1.6.18")
  // flush_all: every item invalid now, or `delay` seconds from now.
  void flushAll(int64_t delay = 0);
  // Any other command, e.g. "flush_all", "version": its reply line(s).
  std::string command(std::string_view line, CommandKind kind = CommandKind::kLine);

 private:
  // Sends `request` over TCP and waits for its reply (throws on failure).
  std::string roundTrip(std::string request, CommandKind kind);
  std::string awaitCommand(Ticket ticket);
  // Sends every request, then returns their replies in order; if one fails,
  // the replies still to come are dropped as they arrive.
  std::vector<std::string> pipeline(std::vector<std::string> requests, CommandKind kind);

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace unbuckle::client
