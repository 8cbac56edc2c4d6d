// ServerClient (include/unbuckle/client.h): the UDP reader and the TCP
// connection of one server behind one poll(), and the blocking commands
// written in memcached's ASCII protocol on top of them.
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <utility>
#include <unordered_set>

#include "client/get_reply_parser.h"
#include "client/memcached_key.h"
#include "client/meta_command.h"
#include "client/server_address.h"
#include "client/tcp_connection.h"
#include "client/udp_reader.h"
#include "unbuckle/client.h"

namespace unbuckle::client {

namespace {

using Clock = std::chrono::steady_clock;

// A TCP get line stays short: memcached reads longer ones, but in pieces.
constexpr size_t kTcpGetLine = 2048;

TimeoutError tcpTimeout(const std::string& server, std::chrono::milliseconds timeout) {
  return TimeoutError("no reply from " + server + " over TCP within " + std::to_string(timeout.count()) + " ms");
}

std::string_view firstLine(std::string_view reply) {
  return reply.substr(0, reply.find("\r\n"));
}

}  // namespace

struct ServerClient::State {
  State(const std::string& host, uint16_t port, ClientOptions options_in)
      : address(resolveServer(host, port)), options(options_in), udp(address, options), tcp(address, options) {}

  ServerAddress address;
  ClientOptions options;
  UdpReader udp;
  TcpConnection tcp;
  Ticket next_ticket = 1;
  std::unordered_map<Ticket, CommandReply> tcp_replies;
  std::unordered_set<Ticket> abandoned;  // timed out in a blocking call
  // startGetTcp's multi-gets, each get line's reply parsed in as it comes.
  struct TcpGet {
    std::vector<Ticket> lines;  // whose reply has not come
    GetResult result;
    ValueSink sink;
    std::string error;
    bool error_is_reply = false;  // an error line, not a lost connection
  };
  std::unordered_map<Ticket, TcpGet> tcp_gets;
  std::unordered_map<Ticket, Ticket> tcp_get_of_line;

  // True when a reply came in.
  bool collectTcp() {
    bool any = false;
    for (auto& [ticket, reply] : tcp.takeCompleted()) {
      any = true;
      if (abandoned.erase(ticket) != 0) continue;
      const auto line = tcp_get_of_line.find(ticket);
      if (line == tcp_get_of_line.end()) {
        tcp_replies[ticket] = std::move(reply);
        continue;
      }
      addGetLineReply(tcp_gets.at(line->second), ticket, reply);
      tcp_get_of_line.erase(line);
    }
    return any;
  }
  void addGetLineReply(TcpGet& get, Ticket line, const CommandReply& reply) {
    std::erase(get.lines, line);
    if (!get.error.empty()) return;
    if (!reply.error.empty()) {
      get.error = reply.error;
      return;
    }
    const StreamedGetReply parsed = parseGetReplyStream(reply.bytes);
    if (!parsed.error_line.empty()) {
      get.error = address.name + " answered get with '" + std::string(parsed.error_line) + "'";
      get.error_is_reply = true;
      return;
    }
    for (const ParsedValue& value : parsed.values) deliverValue(value, get.sink, get.result.items);
  }
  // A command no blocking call will take: its reply is dropped, now if it
  // has come, else when it comes.
  void abandonCommand(Ticket ticket) {
    if (tcp_replies.erase(ticket) == 0) abandoned.insert(ticket);
  }
  void abandonTcpGet(Ticket ticket) {
    for (const Ticket line : tcp_gets.at(ticket).lines) {
      tcp_get_of_line.erase(line);
      abandoned.insert(line);
    }
    tcp_gets.erase(ticket);
  }
  // True when a multi-get or a TCP command completed.
  bool progress() {
    const bool udp_done = udp.progress();
    tcp.progress();
    return collectTcp() || udp_done;
  }
};

ServerClient::ServerClient(const std::string& host, uint16_t port, ClientOptions options)
    : state_(std::make_unique<State>(host, port, options)) {}
ServerClient::~ServerClient() = default;
ServerClient::ServerClient(ServerClient&&) noexcept = default;
ServerClient& ServerClient::operator=(ServerClient&&) noexcept = default;

const std::string& ServerClient::name() const {
  return state_->address.name;
}

ServerClient::Ticket ServerClient::startGet(std::span<const std::string> keys, bool with_cas) {
  return startGet(keys, with_cas, nullptr);
}

ServerClient::Ticket ServerClient::startGet(std::span<const std::string> keys, bool with_cas, ValueSink sink) {
  for (const std::string& key : keys) checkKey(key);
  const Ticket ticket = state_->next_ticket++;
  state_->udp.start(ticket, keys, with_cas, std::move(sink));
  return ticket;
}

ServerClient::Ticket ServerClient::startGetTcp(std::span<const std::string> keys, bool with_cas) {
  return startGetTcp(keys, with_cas, nullptr);
}

ServerClient::Ticket ServerClient::startGetTcp(std::span<const std::string> keys, bool with_cas, ValueSink sink) {
  for (const std::string& key : keys) checkKey(key);
  State& s = *state_;
  const Ticket ticket = s.next_ticket++;
  State::TcpGet& get = s.tcp_gets[ticket];
  if (sink) {
    get.sink = std::move(sink);
  } else {
    get.result.items.reserve(keys.size());
  }
  const std::string_view verb = with_cas ? "gets" : "get";
  std::string line(verb);
  for (size_t i = 0; i < keys.size(); ++i) {
    line += ' ';
    line += keys[i];
    if (i + 1 == keys.size() || line.size() + 1 + keys[i + 1].size() > kTcpGetLine) {
      line += "\r\n";
      const Ticket line_ticket = s.next_ticket++;
      get.lines.push_back(line_ticket);
      s.tcp_get_of_line[line_ticket] = ticket;
      s.tcp.queue(line_ticket, std::exchange(line, std::string(verb)), CommandKind::kValues);
    }
  }
  s.collectTcp();
  return ticket;
}

ServerClient::Ticket ServerClient::startCommand(std::string request, CommandKind kind) {
  const Ticket ticket = state_->next_ticket++;
  state_->tcp.queue(ticket, std::move(request), kind);
  state_->collectTcp();
  return ticket;
}

void ServerClient::poll(std::chrono::milliseconds wait) {
  State& s = *state_;
  if (s.progress() || wait.count() <= 0) return;
  if (const auto deadline = s.udp.nextDeadline()) {
    const auto until = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
    wait = std::clamp(until, std::chrono::milliseconds{0}, wait);
  }
  pollfd fds[2] = {{s.udp.fd(), static_cast<short>(POLLIN | (s.udp.wantsWrite() ? POLLOUT : 0)), 0},
                   {s.tcp.fd(), static_cast<short>(POLLIN | (s.tcp.wantsWrite() ? POLLOUT : 0)), 0}};
  ::poll(fds, s.tcp.fd() >= 0 ? 2 : 1, static_cast<int>(wait.count()));
  s.progress();
}

std::optional<GetResult> ServerClient::takeGet(Ticket ticket) {
  State& s = *state_;
  const auto tcp_get = s.tcp_gets.find(ticket);
  if (tcp_get == s.tcp_gets.end()) return s.udp.take(ticket);
  if (!tcp_get->second.lines.empty()) return std::nullopt;
  State::TcpGet get = std::move(tcp_get->second);
  s.tcp_gets.erase(tcp_get);
  if (get.error_is_reply) throw ReplyError(get.error);
  if (!get.error.empty()) throw ClientError(get.error);
  return std::move(get.result);
}

std::optional<CommandReply> ServerClient::takeCommand(Ticket ticket) {
  const auto found = state_->tcp_replies.find(ticket);
  if (found == state_->tcp_replies.end()) return std::nullopt;
  CommandReply reply = std::move(found->second);
  state_->tcp_replies.erase(found);
  return reply;
}

void ServerClient::disconnect() {
  state_->tcp.close();
  state_->collectTcp();
}

int ServerClient::udpFd() const {
  return state_->udp.fd();
}
int ServerClient::tcpFd() const {
  return state_->tcp.fd();
}
bool ServerClient::tcpWantsWrite() const {
  return state_->tcp.wantsWrite();
}

// ---- blocking, over UDP

ItemMap ServerClient::getMany(std::span<const std::string> keys, bool with_cas) {
  const Ticket ticket = startGet(keys, with_cas);
  for (;;) {
    if (auto result = takeGet(ticket)) {
      if (result->timed_out && state_->options.udp_timeout_is_error) {
        throw TimeoutError("UDP get from " + name() + ": no whole reply within " +
                           std::to_string(state_->options.udp_timeout.count()) + " ms");
      }
      return std::move(result->items);
    }
    poll(state_->options.udp_timeout);
  }
}

std::optional<Item> ServerClient::get(std::string_view key) {
  const std::string keys[] = {std::string(key)};
  ItemMap items = getMany(keys, false);
  if (items.empty()) return std::nullopt;
  return std::move(items.begin()->second);
}

std::optional<Item> ServerClient::gets(std::string_view key) {
  const std::string keys[] = {std::string(key)};
  ItemMap items = getMany(keys, true);
  if (items.empty()) return std::nullopt;
  return std::move(items.begin()->second);
}

// ---- blocking, over TCP

namespace {

StoreResult storeResult(const std::string& server, std::string_view reply) {
  const std::string_view line = firstLine(reply);
  if (line == "STORED") return StoreResult::kStored;
  if (line == "NOT_STORED") return StoreResult::kNotStored;
  if (line == "EXISTS") return StoreResult::kExists;
  if (line == "NOT_FOUND") return StoreResult::kNotFound;
  throw ReplyError(server + " answered a storage command with '" + std::string(line) + "'");
}

std::string storageRequest(std::string_view verb, std::string_view key, std::string_view value, uint32_t flags,
                           int64_t exptime, std::optional<uint64_t> cas = std::nullopt) {
  checkKey(key);
  std::string request(verb);
  request += ' ';
  request += key;
  request += ' ' + std::to_string(flags) + ' ' + std::to_string(exptime) + ' ' + std::to_string(value.size());
  if (cas) request += ' ' + std::to_string(*cas);
  request += "\r\n";
  request += value;
  request += "\r\n";
  return request;
}

std::string keyRequest(std::string_view verb, std::string_view key, std::string_view argument = {}) {
  checkKey(key);
  std::string request(verb);
  request += ' ';
  request += key;
  if (!argument.empty()) {
    request += ' ';
    request += argument;
  }
  request += "\r\n";
  return request;
}

std::optional<uint64_t> counterResult(const std::string& server, std::string_view reply) {
  const std::string_view line = firstLine(reply);
  if (line == "NOT_FOUND") return std::nullopt;
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
  if (ec != std::errc() || ptr != line.data() + line.size()) {
    throw ReplyError(server + " answered incr/decr with '" + std::string(line) + "'");
  }
  return value;
}

bool foundResult(const std::string& server, std::string_view reply, std::string_view success) {
  const std::string_view line = firstLine(reply);
  if (line == success) return true;
  if (line == "NOT_FOUND") return false;
  throw ReplyError(server + " answered with '" + std::string(line) + "' where " + std::string(success) +
                   " or NOT_FOUND was expected");
}

}  // namespace

std::string ServerClient::roundTrip(std::string request, CommandKind kind) {
  return awaitCommand(startCommand(std::move(request), kind));
}

std::string ServerClient::awaitCommand(Ticket ticket) {
  const auto timeout = state_->options.tcp_timeout;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto reply = takeCommand(ticket)) {
      if (!reply->error.empty()) throw ClientError(reply->error);
      return std::move(reply->bytes);
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      state_->abandonCommand(ticket);
      throw tcpTimeout(name(), timeout);
    }
    poll(left);
  }
}

std::vector<std::string> ServerClient::pipeline(std::vector<std::string> requests, CommandKind kind) {
  std::vector<Ticket> tickets;
  tickets.reserve(requests.size());
  for (std::string& request : requests) tickets.push_back(startCommand(std::move(request), kind));
  std::vector<std::string> replies;
  replies.reserve(tickets.size());
  try {
    for (const Ticket ticket : tickets) replies.push_back(awaitCommand(ticket));
  } catch (const ClientError&) {
    for (size_t i = replies.size() + 1; i < tickets.size(); ++i) state_->abandonCommand(tickets[i]);
    throw;
  }
  return replies;
}

std::string ServerClient::command(std::string_view line, CommandKind kind) {
  return roundTrip(std::string(line) + "\r\n", kind);
}

ItemMap ServerClient::getManyTcp(std::span<const std::string> keys, bool with_cas) {
  const Ticket ticket = startGetTcp(keys, with_cas);
  const auto deadline = Clock::now() + state_->options.tcp_timeout;
  for (;;) {
    if (auto result = takeGet(ticket)) return std::move(result->items);
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      state_->abandonTcpGet(ticket);
      throw tcpTimeout(name(), state_->options.tcp_timeout);
    }
    poll(left);
  }
}

StoreResult ServerClient::set(std::string_view key, std::string_view value, uint32_t flags, int64_t exptime) {
  return storeResult(name(), roundTrip(storageRequest("set", key, value, flags, exptime), CommandKind::kLine));
}

StoreResult ServerClient::add(std::string_view key, std::string_view value, uint32_t flags, int64_t exptime) {
  return storeResult(name(), roundTrip(storageRequest("add", key, value, flags, exptime), CommandKind::kLine));
}

StoreResult ServerClient::replace(std::string_view key, std::string_view value, uint32_t flags, int64_t exptime) {
  return storeResult(name(), roundTrip(storageRequest("replace", key, value, flags, exptime), CommandKind::kLine));
}

StoreResult ServerClient::append(std::string_view key, std::string_view value) {
  return storeResult(name(), roundTrip(storageRequest("append", key, value, 0, 0), CommandKind::kLine));
}

StoreResult ServerClient::prepend(std::string_view key, std::string_view value) {
  return storeResult(name(), roundTrip(storageRequest("prepend", key, value, 0, 0), CommandKind::kLine));
}

StoreResult ServerClient::cas(std::string_view key, std::string_view value, uint64_t cas, uint32_t flags,
                              int64_t exptime) {
  return storeResult(name(), roundTrip(storageRequest("cas", key, value, flags, exptime, cas), CommandKind::kLine));
}

bool ServerClient::remove(std::string_view key) {
  return foundResult(name(), roundTrip(keyRequest("delete", key), CommandKind::kLine), "DELETED");
}

namespace {

// Each reply read with `read`; an error reply is thrown only after the
// others are read, so that one bad item does not hide the rest.
template <class Result, class Read>
std::vector<Result> readEach(const std::vector<std::string>& replies, Read read) {
  std::vector<Result> results;
  results.reserve(replies.size());
  std::optional<ReplyError> first_error;
  for (const std::string& reply : replies) {
    try {
      results.push_back(read(reply));
    } catch (const ReplyError& e) {
      if (!first_error) first_error = e;
      results.push_back(Result{});
    }
  }
  if (first_error) throw *first_error;
  return results;
}

}  // namespace

std::vector<StoreResult> ServerClient::setMany(std::span<const std::pair<std::string_view, std::string_view>> items,
                                               uint32_t flags, int64_t exptime) {
  std::vector<std::string> requests;
  requests.reserve(items.size());
  for (const auto& [key, value] : items) requests.push_back(storageRequest("set", key, value, flags, exptime));
  return readEach<StoreResult>(pipeline(std::move(requests), CommandKind::kLine),
                               [&](const std::string& reply) { return storeResult(name(), reply); });
}

std::vector<bool> ServerClient::removeMany(std::span<const std::string_view> keys) {
  std::vector<std::string> requests;
  requests.reserve(keys.size());
  for (const std::string_view key : keys) requests.push_back(keyRequest("delete", key));
  return readEach<bool>(pipeline(std::move(requests), CommandKind::kLine),
                        [&](const std::string& reply) { return foundResult(name(), reply, "DELETED"); });
}

std::optional<uint64_t> ServerClient::incr(std::string_view key, uint64_t delta) {
  return counterResult(name(), roundTrip(keyRequest("incr", key, std::to_string(delta)), CommandKind::kLine));
}

std::optional<uint64_t> ServerClient::decr(std::string_view key, uint64_t delta) {
  return counterResult(name(), roundTrip(keyRequest("decr", key, std::to_string(delta)), CommandKind::kLine));
}

bool ServerClient::touch(std::string_view key, int64_t exptime) {
  return foundResult(name(), roundTrip(keyRequest("touch", key, std::to_string(exptime)), CommandKind::kLine),
                     "TOUCHED");
}

MetaReply ServerClient::meta(std::string_view command, std::string_view data) {
  const MetaCommand sent = splitMetaCommand(command);
  checkMetaCommand(sent, command);
  std::string request(command);
  request += "\r\n";
  if (sent.name == "ms") {
    request += data;
    request += "\r\n";
  }
  const std::string reply = roundTrip(std::move(request), sent.name == "mn" ? CommandKind::kLine : CommandKind::kMeta);
  const std::string_view line = firstLine(reply);
  if (line == "ERROR" || line.starts_with("CLIENT_ERROR") || line.starts_with("SERVER_ERROR")) {
    throw ReplyError(name() + " answered '" + std::string(command) + "' with '" + std::string(line) + "'");
  }
  const std::vector<std::string_view> fields = words(line);
  MetaReply parsed;
  if (fields.empty()) throw ReplyError(name() + " sent an empty reply to '" + std::string(command) + "'");
  parsed.code = fields[0];
  size_t first_flag = 1;
  if (parsed.code == "VA") {
    first_flag = 2;
    parsed.value = reply.substr(line.size() + 2, reply.size() - line.size() - 4);
  }
  for (size_t i = first_flag; i < fields.size(); ++i) parsed.flags.emplace_back(fields[i]);
  return parsed;
}

std::string ServerClient::version() {
  const std::string reply = command("version");
  const std::string_view line = firstLine(reply);
  if (!line.starts_with("VERSION ")) {
    throw ReplyError(name() + " answered version with '" + std::string(line) + "'");
  }
  return std::string(line.substr(8));
}

void ServerClient::flushAll(int64_t delay) {
  const std::string reply = command(delay == 0 ? "flush_all" : "flush_all " + std::to_string(delay));
  if (firstLine(reply) != "OK") {
    throw ReplyError(name() + " answered flush_all with '" + std::string(firstLine(reply)) + "'");
  }
}

std::map<std::string, std::string> ServerClient::stats(std::string_view group) {
  std::string request = "stats";
  if (!group.empty()) {
    request += ' ';
    request += group;
  }
  const std::string reply = roundTrip(request + "\r\n", CommandKind::kStats);
  std::map<std::string, std::string> stats;
  std::string_view rest = reply;
  while (!rest.empty()) {
    const std::string_view line = firstLine(rest);
    rest.remove_prefix(std::min(rest.size(), line.size() + 2));
    if (line == "END") break;
    if (!line.starts_with("STAT ")) throw ReplyError(name() + " answered stats with '" + std::string(line) + "'");
    const std::string_view stat = line.substr(5);
    const size_t space = stat.find(' ');
    stats[std::string(stat.substr(0, space))] = space == std::string_view::npos ? "" : std::string(stat.substr(space + 1));
  }
  return stats;
}

}  // namespace unbuckle::client
