// A pool of memcached servers for the client library: each key goes to the
// server ketama puts it on, computed as the operator's existing clients do
// (client/ketama.h), so this client reads over UDP what they wrote over TCP.
// A server that fails `failure_limit` times in a row (TCP error or timeout,
// or a UDP multi-get that timed out and then a `version` over TCP that
// failed too: lost datagrams alone eject nobody) is marked dead and its keys move to the
// others, as pylibmc's remove_failed and twemproxy's auto_eject_hosts move
// them; after `dead_retry` it is placed again, and one more failure marks it
// dead again.
//
// Like ServerClient: one Pool per thread, no global state.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "unbuckle/client.h"
#include "unbuckle/client_servers.h"

namespace unbuckle::client {

struct PoolOptions {
  ClientOptions client;
  // "libmemcached-ketama-weighted" (pylibmc ketama_weighted, php-memcached
  // OPT_LIBKETAMA_COMPATIBLE), "libmemcached-ketama", "libmemcached-ketama-md5",
  // "twemproxy-ketama-md5", "twemproxy-ketama-fnv1a_64".
  std::string distribution = "libmemcached-ketama-weighted";
  unsigned failure_limit = 2;
  std::chrono::milliseconds dead_retry{30000};
};

class Pool {
 public:
  // Throws std::invalid_argument for an empty list or an unknown
  // distribution, ClientError for a host that does not resolve.
  explicit Pool(std::vector<ServerSpec> servers, PoolOptions options = {});
  ~Pool();
  Pool(Pool&&) noexcept;
  Pool& operator=(Pool&&) noexcept;

  // The index of the server holding `key` now (dead servers left out);
  // throws ClientError when every server is dead.
  size_t serverIndex(std::string_view key);
  ServerClient& server(size_t index);
  size_t size() const;
  bool live(size_t index) const;
  // ServerClient::disconnect() of every server.
  void disconnect();

  // Over UDP: the keys of each server are sent to all servers before any
  // reply is awaited.
  ItemMap getMany(std::span<const std::string> keys, bool with_cas = false);
  // The same with each hit handed to `sink` as it is parsed (ServerClient's
  // ValueSink): nothing copied or allocated per key.
  void getMany(std::span<const std::string> keys, bool with_cas, const ValueSink& sink);
  std::optional<Item> get(std::string_view key);
  std::optional<Item> gets(std::string_view key);
  // The same reads over TCP (each server's keys pipelined on its connection;
  // ServerClient::getManyTcp's exceptions).
  ItemMap getManyTcp(std::span<const std::string> keys, bool with_cas = false);

  // Over TCP, on the key's server (ServerClient's meanings and exceptions).
  StoreResult set(std::string_view key, std::string_view value, uint32_t flags = 0, int64_t exptime = 0);
  StoreResult add(std::string_view key, std::string_view value, uint32_t flags = 0, int64_t exptime = 0);
  StoreResult replace(std::string_view key, std::string_view value, uint32_t flags = 0, int64_t exptime = 0);
  StoreResult append(std::string_view key, std::string_view value);
  StoreResult prepend(std::string_view key, std::string_view value);
  StoreResult cas(std::string_view key, std::string_view value, uint64_t cas, uint32_t flags = 0,
                  int64_t exptime = 0);
  bool remove(std::string_view key);
  // ServerClient::setMany and removeMany with each item on its key's server,
  // one pipelined batch per server; results in the items' order. A key
  // memcached cannot carry throws std::invalid_argument before anything is
  // sent; an error reply throws ReplyError once every server's batch is done.
  std::vector<StoreResult> setMany(std::span<const std::pair<std::string_view, std::string_view>> items,
                                   uint32_t flags = 0, int64_t exptime = 0);
  std::vector<bool> removeMany(std::span<const std::string_view> keys);
  std::optional<uint64_t> incr(std::string_view key, uint64_t delta);
  std::optional<uint64_t> decr(std::string_view key, uint64_t delta);
  bool touch(std::string_view key, int64_t exptime);
  // A meta command (ServerClient::meta) on the server of the key it names.
  // Throws std::invalid_argument for "mn" and for a base64 key (flag b),
  // which name no server here: send those to one, server(i).meta().
  MetaReply meta(std::string_view command, std::string_view data = {});

 private:
  template <class Call>
  auto onServerOf(std::string_view key, Call call);
  // `batch(server, indexes)` for the items of each server (item i's key is
  // key(i)); its results land at those indexes.
  template <class Result, class KeyOf, class Batch>
  std::vector<Result> onServersOf(size_t count, KeyOf key, Batch batch);
  ItemMap readOverUdp(std::span<const std::string> keys, bool with_cas, const ValueSink& sink);

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace unbuckle::client
