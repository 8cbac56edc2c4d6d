// Pool (include/unbuckle/client_pool.h): a ServerClient per server, a ketama
// continuum over the live ones, and the failure count that ejects a server.
#include "unbuckle/client_pool.h"

#include <poll.h>

#include <algorithm>
#include <map>

#include "client/ketama.h"
#include "client/meta_command.h"
#include "client/memcached_key.h"

namespace unbuckle::client {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

struct Pool::State {
  State(std::vector<ServerSpec> specs_in, PoolOptions options_in)
      : specs(std::move(specs_in)),
        options(std::move(options_in)),
        distribution(parseDistribution(options.distribution)),
        failures(specs.size(), 0),
        dead_until(specs.size()),
        live(specs.size(), true),
        continuum(specs, distribution) {
    for (const ServerSpec& spec : specs) clients.emplace_back(spec.host, spec.port, options.client);
  }

  std::vector<ServerSpec> specs;
  PoolOptions options;
  Distribution distribution;
  std::vector<ServerClient> clients;
  std::vector<unsigned> failures;  // in a row
  std::vector<Clock::time_point> dead_until;
  std::vector<bool> live;
  Continuum continuum;

  bool anyLive() const { return std::find(live.begin(), live.end(), true) != live.end(); }

  void rebuild() {
    if (!anyLive()) return;
    continuum = Continuum(specs, distribution, live);
  }

  // Places again the dead servers whose retry time has come.
  void readmit() {
    const auto now = Clock::now();
    bool changed = false;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (!live[i] && now >= dead_until[i]) {
        live[i] = true;
        failures[i] = options.failure_limit > 0 ? options.failure_limit - 1 : 0;
        changed = true;
      }
    }
    if (changed) rebuild();
  }

  void succeeded(size_t index) { failures[index] = 0; }

  void failed(size_t index) {
    if (++failures[index] < options.failure_limit || !live[index]) return;
    live[index] = false;
    dead_until[index] = Clock::now() + options.dead_retry;
    rebuild();
  }

  // `call` on the server at `index`, counting its success or failure. An
  // error reply counts as a success: the server answered (a bad request or
  // a full server says nothing about whether it can be reached).
  template <class Call>
  auto onServer(size_t index, Call call) {
    try {
      auto result = call(clients[index]);
      succeeded(index);
      return result;
    } catch (const ReplyError&) {
      succeeded(index);
      throw;
    } catch (const ClientError&) {
      failed(index);
      throw;
    }
  }

  // Datagrams get lost on a healthy path, so a UDP read that timed out
  // asks the server over TCP (`version`) whether it is there, and only a
  // failure of that counts: a one-server pool on a lossy path is not
  // ejected, a stopped server still is.
  void udpTimedOut(size_t index) {
    try {
      onServer(index, [](ServerClient& c) { return c.command("version"); });
    } catch (const ClientError&) {
    }
  }

  std::map<size_t, std::vector<std::string>> keysByServer(std::span<const std::string> keys) {
    std::map<size_t, std::vector<std::string>> by_server;
    for (const std::string& key : keys) by_server[serverIndex(key)].push_back(key);
    return by_server;
  }

  size_t serverIndex(std::string_view key) {
    readmit();
    if (!anyLive()) {
      throw ClientError("every server of the pool is marked dead after failing; each is tried again " +
                        std::to_string(options.dead_retry.count()) + " ms after its last failure");
    }
    return continuum.serverIndex(key);
  }
};

Pool::Pool(std::vector<ServerSpec> servers, PoolOptions options)
    : state_(std::make_unique<State>(std::move(servers), std::move(options))) {}
Pool::~Pool() = default;
Pool::Pool(Pool&&) noexcept = default;
Pool& Pool::operator=(Pool&&) noexcept = default;

size_t Pool::serverIndex(std::string_view key) {
  return state_->serverIndex(key);
}

ServerClient& Pool::server(size_t index) {
  return state_->clients.at(index);
}

size_t Pool::size() const {
  return state_->clients.size();
}

bool Pool::live(size_t index) const {
  return state_->live.at(index);
}

void Pool::disconnect() {
  for (ServerClient& client : state_->clients) client.disconnect();
}

ItemMap Pool::getMany(std::span<const std::string> keys, bool with_cas) {
  return readOverUdp(keys, with_cas, nullptr);
}

void Pool::getMany(std::span<const std::string> keys, bool with_cas, const ValueSink& sink) {
  readOverUdp(keys, with_cas, sink);
}

ItemMap Pool::readOverUdp(std::span<const std::string> keys, bool with_cas, const ValueSink& sink) {
  State& s = *state_;
  const auto by_server = s.keysByServer(keys);
  std::map<size_t, ServerClient::Ticket> pending;
  for (const auto& [index, server_keys] : by_server) {
    pending[index] = s.clients[index].startGet(server_keys, with_cas, sink);
  }

  ItemMap items;
  // Asked over TCP once every reply is in, so that a probe's wait does not
  // run the other servers' UDP deadlines out.
  std::vector<size_t> timed_out;
  // Every multi-get ends by its UDP deadlines, so this loop does too.
  while (!pending.empty()) {
    std::vector<pollfd> fds;
    for (auto it = pending.begin(); it != pending.end();) {
      ServerClient& client = s.clients[it->first];
      client.poll(std::chrono::milliseconds{0});
      if (auto result = client.takeGet(it->second)) {
        if (result->timed_out) {
          timed_out.push_back(it->first);
        } else {
          s.succeeded(it->first);
        }
        items.merge(result->items);
        it = pending.erase(it);
      } else {
        fds.push_back(pollfd{client.udpFd(), POLLIN, 0});
        ++it;
      }
    }
    if (!fds.empty()) ::poll(fds.data(), fds.size(), 1);
  }
  for (const size_t index : timed_out) s.udpTimedOut(index);
  if (!timed_out.empty() && s.options.client.udp_timeout_is_error) {
    throw TimeoutError("a UDP multi-get of the pool got no whole reply within " +
                       std::to_string(s.options.client.udp_timeout.count()) + " ms");
  }
  return items;
}

std::optional<Item> Pool::get(std::string_view key) {
  const std::string keys[] = {std::string(key)};
  ItemMap items = getMany(keys, false);
  if (items.empty()) return std::nullopt;
  return std::move(items.begin()->second);
}

std::optional<Item> Pool::gets(std::string_view key) {
  const std::string keys[] = {std::string(key)};
  ItemMap items = getMany(keys, true);
  if (items.empty()) return std::nullopt;
  return std::move(items.begin()->second);
}

ItemMap Pool::getManyTcp(std::span<const std::string> keys, bool with_cas) {
  State& s = *state_;
  const auto by_server = s.keysByServer(keys);
  ItemMap items;
  for (const auto& [index, server_keys] : by_server) {
    // Clang 14 (Debian 12) cannot capture a structured binding.
    const std::vector<std::string>& these = server_keys;
    items.merge(s.onServer(index, [&](ServerClient& c) { return c.getManyTcp(these, with_cas); }));
  }
  return items;
}

template <class Call>
auto Pool::onServerOf(std::string_view key, Call call) {
  return state_->onServer(state_->serverIndex(key), call);
}

StoreResult Pool::set(std::string_view key, std::string_view value, uint32_t flags, int64_t exptime) {
  return onServerOf(key, [&](ServerClient& c) { return c.set(key, value, flags, exptime); });
}

StoreResult Pool::add(std::string_view key, std::string_view value, uint32_t flags, int64_t exptime) {
  return onServerOf(key, [&](ServerClient& c) { return c.add(key, value, flags, exptime); });
}

StoreResult Pool::replace(std::string_view key, std::string_view value, uint32_t flags, int64_t exptime) {
  return onServerOf(key, [&](ServerClient& c) { return c.replace(key, value, flags, exptime); });
}

StoreResult Pool::append(std::string_view key, std::string_view value) {
  return onServerOf(key, [&](ServerClient& c) { return c.append(key, value); });
}

StoreResult Pool::prepend(std::string_view key, std::string_view value) {
  return onServerOf(key, [&](ServerClient& c) { return c.prepend(key, value); });
}

StoreResult Pool::cas(std::string_view key, std::string_view value, uint64_t cas, uint32_t flags, int64_t exptime) {
  return onServerOf(key, [&](ServerClient& c) { return c.cas(key, value, cas, flags, exptime); });
}

bool Pool::remove(std::string_view key) {
  return onServerOf(key, [&](ServerClient& c) { return c.remove(key); });
}

template <class Result, class KeyOf, class Batch>
std::vector<Result> Pool::onServersOf(size_t count, KeyOf key, Batch batch) {
  for (size_t i = 0; i < count; ++i) checkKey(key(i));  // before any server's batch is sent
  std::map<size_t, std::vector<size_t>> by_server;
  for (size_t i = 0; i < count; ++i) by_server[state_->serverIndex(key(i))].push_back(i);
  std::vector<Result> results(count);
  std::optional<ReplyError> first_error;
  for (const auto& [server, indexes] : by_server) {
    // Clang 14 (Debian 12) cannot capture a structured binding.
    const std::vector<size_t>& these = indexes;
    try {
      const std::vector<Result> got = state_->onServer(server, [&](ServerClient& c) { return batch(c, these); });
      for (size_t i = 0; i < these.size(); ++i) results[these[i]] = got[i];
    } catch (const ReplyError& e) {
      if (!first_error) first_error = e;
    }
  }
  if (first_error) throw *first_error;
  return results;
}

std::vector<StoreResult> Pool::setMany(std::span<const std::pair<std::string_view, std::string_view>> items,
                                       uint32_t flags, int64_t exptime) {
  return onServersOf<StoreResult>(
      items.size(), [&](size_t i) { return items[i].first; },
      [&](ServerClient& c, const std::vector<size_t>& indexes) {
        std::vector<std::pair<std::string_view, std::string_view>> these;
        for (const size_t i : indexes) these.push_back(items[i]);
        return c.setMany(these, flags, exptime);
      });
}

std::vector<bool> Pool::removeMany(std::span<const std::string_view> keys) {
  return onServersOf<bool>(
      keys.size(), [&](size_t i) { return keys[i]; },
      [&](ServerClient& c, const std::vector<size_t>& indexes) {
        std::vector<std::string_view> these;
        for (const size_t i : indexes) these.push_back(keys[i]);
        return c.removeMany(these);
      });
}

std::optional<uint64_t> Pool::incr(std::string_view key, uint64_t delta) {
  return onServerOf(key, [&](ServerClient& c) { return c.incr(key, delta); });
}

std::optional<uint64_t> Pool::decr(std::string_view key, uint64_t delta) {
  return onServerOf(key, [&](ServerClient& c) { return c.decr(key, delta); });
}

bool Pool::touch(std::string_view key, int64_t exptime) {
  return onServerOf(key, [&](ServerClient& c) { return c.touch(key, exptime); });
}

MetaReply Pool::meta(std::string_view command, std::string_view data) {
  return onServerOf(metaKey(command), [&](ServerClient& c) { return c.meta(command, data); });
}

}  // namespace unbuckle::client
