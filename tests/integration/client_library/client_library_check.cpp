// The client library against a live server, driven by client_library.py:
//
//   client_library_check compare SERVER
//     stores values of 0 bytes to 1 MB over TCP, then reads them over UDP
//     (get, gets, multi-gets of 1 to 1,000 keys, hits and misses mixed) and
//     checks every read equals the same read over TCP, and the same reads
//     with their values handed to a ValueSink over UDP and TCP; then every TCP
//     command (storage, cas, delete, incr/decr, touch, meta, stats, the
//     pipelined setMany and removeMany) once,
//     with the replies memcached gives, an error reply thrown as ReplyError.
//   client_library_check lossy UDP_SERVER TCP_SERVER ROUNDS
//     UDP reads from UDP_SERVER, a relay that drops, reorders and duplicates
//     the datagrams of TCP_SERVER, which the values are stored on: every read
//     must be the stored value or a miss; prints the hit and miss counts.
//   client_library_check pool SERVERS COUNT
//     reads keys "pool:0".."pool:COUNT-1", which pylibmc (ketama_weighted)
//     set to "value:<key>" on SERVERS ("h:p,h:p,..."), through a Pool over
//     UDP, into a map and through a ValueSink, and every 50th with a meta
//     command: every one must be found, so the pool places keys as
//     libmemcached.
//   client_library_check failover SERVERS
//     with client_library.py on stdin/stdout: prints "STOP 1", waits for a
//     line (the second server stopped), checks it is marked dead and its keys
//     move; prints "START 1", waits (restarted), checks it is placed again.
//
// SERVER is "host:port" (client_servers.h). The scripts pass loopback
// addresses (client_library.py) or, from the client namespace whose route to
// it they checked, the server namespace's veth address
// (client_library_afxdp.py). Exit 0 when every check passes, 1 with a
// "FAIL:" line otherwise.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "unbuckle/client.h"
#include "unbuckle/client_pool.h"

namespace {

using unbuckle::client::ClientOptions;
using unbuckle::client::Item;
using unbuckle::client::ItemMap;
using unbuckle::client::parseServerList;
using unbuckle::client::Pool;
using unbuckle::client::PoolOptions;
using unbuckle::client::ReplyError;
using unbuckle::client::ServerClient;
using unbuckle::client::ServerSpec;
using unbuckle::client::StoreResult;
using unbuckle::client::ValueView;

[[noreturn]] void fail(const std::string& message) {
  std::printf("FAIL: %s\n", message.c_str());
  std::exit(1);
}

// Bytes that differ from key to key, so that a datagram of another key's
// value is never taken for this one's.
std::string valueFor(const std::string& key, size_t size) {
  const size_t seed = std::hash<std::string>{}(key);
  std::string value(size, '\0');
  for (size_t i = 0; i < size; ++i) value[i] = static_cast<char>('a' + (i * 7 + seed + i / 1392) % 26);
  if (size >= 2) value[size / 2] = '\r', value[size / 2 + 1] = '\n';  // data may hold CRLF
  return value;
}

std::string describe(const ItemMap& items) {
  std::string text;
  for (const auto& [key, item] : items) {
    text += key + "(" + std::to_string(item.value.size()) + "b f" + std::to_string(item.flags) + " c" +
            std::to_string(item.cas) + ") ";
  }
  return text.substr(0, 400);
}

void expectSame(const ItemMap& udp, const ItemMap& tcp, const std::string& what) {
  bool same = udp.size() == tcp.size();
  for (const auto& [key, item] : tcp) {
    const auto found = udp.find(key);
    same = same && found != udp.end() && found->second.value == item.value && found->second.flags == item.flags &&
           found->second.cas == item.cas;
  }
  if (!same) fail(what + ": UDP read " + std::to_string(udp.size()) + " items, TCP " + std::to_string(tcp.size()) +
                  "; UDP " + describe(udp) + "; TCP " + describe(tcp));
}

void store(ServerClient& client, const std::string& key, size_t size, uint32_t flags) {
  if (client.set(key, valueFor(key, size), flags) != StoreResult::kStored) fail("set " + key + " not stored");
}

void expect(bool condition, const std::string& what) {
  if (!condition) fail(what);
}

// A multi-get whose hits go to a ValueSink (over UDP, or TCP), gathered
// into a map to compare; a key handed over twice fails.
ItemMap viaSink(ServerClient& client, const std::vector<std::string>& keys, bool with_cas, bool tcp) {
  ItemMap items;
  const auto sink = [&items](const ValueView& value) {
    const bool first = items.try_emplace(std::string(value.key), Item{value.flags, std::string(value.value), value.cas}).second;
    if (!first) fail("the sink got " + std::string(value.key) + " twice");
  };
  const ServerClient::Ticket ticket = tcp ? client.startGetTcp(keys, with_cas, sink) : client.startGet(keys, with_cas, sink);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    if (const auto result = client.takeGet(ticket)) {
      expect(result->items.empty(), "a multi-get with a sink returned items");
      return items;
    }
    if (std::chrono::steady_clock::now() > give_up) fail("a multi-get with a sink did not complete in 10 s");
    client.poll(std::chrono::milliseconds(10));
  }
}

void commands(ServerClient& client) {
  using unbuckle::client::MetaReply;
  expect(client.set("cmd", "a", 3) == StoreResult::kStored, "set");
  expect(client.add("cmd", "x") == StoreResult::kNotStored, "add of an existing key");
  expect(client.replace("cmd:none", "x") == StoreResult::kNotStored, "replace of a missing key");
  expect(client.append("cmd", "b") == StoreResult::kStored && client.prepend("cmd", "_") == StoreResult::kStored,
         "append, prepend");
  const auto item = client.gets("cmd");
  expect(item && item->value == "_ab" && item->flags == 3 && item->cas != 0, "gets after append and prepend");
  expect(client.cas("cmd", "c", item->cas) == StoreResult::kStored, "cas with the current unique");
  expect(client.cas("cmd", "d", item->cas) == StoreResult::kExists, "cas with a stale unique");
  expect(client.cas("cmd:none", "d", 1) == StoreResult::kNotFound, "cas of a missing key");
  expect(client.set("n", "10") == StoreResult::kStored && client.incr("n", 5) == 15u && client.decr("n", 20) == 0u,
         "incr, decr (floored at 0)");
  expect(!client.incr("n:none", 1), "incr of a missing key");
  expect(client.touch("cmd", 100) && !client.touch("cmd:none", 100), "touch");
  expect(client.remove("cmd") && !client.remove("cmd"), "delete, then delete again");

  expect(client.meta("ms meta 2 F7", "hi").code == "HD", "ms");
  const MetaReply got = client.meta("mg meta v f");
  expect(got.code == "VA" && got.value == "hi" && got.flags == std::vector<std::string>{"f7"}, "mg meta v f");
  expect(client.meta("mg meta:none v").code == "EN", "mg of a missing key");
  expect(client.meta("ma meta:n N0 J5 v").value == "5", "ma with autovivify");
  expect(client.meta("md meta").code == "HD" && client.meta("md meta").code == "NF", "md, then md again");
  expect(client.meta("mn").code == "MN", "mn");
  bool refused = false;
  try {
    client.meta("mg meta v q");
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  expect(refused, "meta quiet mode refused");
  std::vector<std::string> batch_keys;
  std::vector<std::pair<std::string_view, std::string_view>> batch;
  for (int i = 0; i < 200; ++i) batch_keys.push_back("batch:" + std::to_string(i));
  for (const std::string& key : batch_keys) batch.emplace_back(key, key);
  expect(client.setMany(batch, 9) == std::vector<StoreResult>(200, StoreResult::kStored), "setMany of 200 keys");
  const ItemMap written = client.getMany(batch_keys);
  expect(written.size() == 200 && written.at("batch:7").value == "batch:7" && written.at("batch:7").flags == 9,
         "setMany's values read over UDP");
  std::vector<std::string_view> batch_views(batch_keys.begin(), batch_keys.end());
  batch_views.push_back("batch:none");
  std::vector<bool> deleted(200, true);
  deleted.push_back(false);
  expect(client.removeMany(batch_views) == deleted, "removeMany of 200 keys and a missing one");
  expect(client.set("text", "abc") == StoreResult::kStored, "set of a text value");
  bool reply_error = false;
  try {
    client.meta("ma text");
  } catch (const ReplyError& e) {
    reply_error = std::string(e.what()).find("CLIENT_ERROR cannot increment") != std::string::npos;
  }
  expect(reply_error, "ma of a text value throws ReplyError with the server's line");
  const auto stats = client.stats();
  expect(stats.count("pid") && stats.count("curr_items"), "stats");
  expect(client.command("version").starts_with("VERSION "), "version");
  expect(client.version() == stats.at("version"), "version() is stats' version");
  client.flushAll(100);
  expect(client.get("text").has_value(), "flush_all 100 flushes nothing yet");
  client.flushAll();
  expect(!client.get("text").has_value(), "flush_all");
}

int compare(const ServerSpec& server) {
  ClientOptions options;
  options.udp_timeout = std::chrono::milliseconds(500);
  options.udp_retries = 2;
  ServerClient client(server.host, server.port, options);

  const std::vector<size_t> sizes = {0, 1, 100, 1370, 1392, 1393, 3000, 20000, 100000, 500000, 1000000};
  std::vector<std::string> sized_keys;
  for (size_t size : sizes) {
    sized_keys.push_back("size:" + std::to_string(size));
    store(client, sized_keys.back(), size, static_cast<uint32_t>(size % 65536));
  }
  // Each size alone, get and gets.
  for (const std::string& key : sized_keys) {
    const std::vector<std::string> one = {key};
    expectSame(client.getMany(one), client.getManyTcp(one), "get " + key);
    expectSame(client.getMany(one, true), client.getManyTcp(one, true), "gets " + key);
    const auto single = client.get(key);
    if (!single || single->value != client.getManyTcp(one).at(key).value) fail("get() of " + key);
  }
  // All sizes in one multi-get, plus a miss.
  std::vector<std::string> mixed = sized_keys;
  mixed.push_back("size:absent");
  expectSame(client.getMany(mixed), client.getManyTcp(mixed), "multi-get of every size");
  expectSame(client.getMany(mixed, true), client.getManyTcp(mixed, true), "multi-gets of every size");
  const ItemMap mixed_tcp = client.getManyTcp(mixed, true);
  expectSame(viaSink(client, mixed, true, false), mixed_tcp, "multi-gets of every size to a sink over UDP");
  expectSame(viaSink(client, mixed, true, true), mixed_tcp, "multi-gets of every size to a sink over TCP");

  // Multi-gets of 1 to 1,000 keys, two in three stored, small values.
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) {
    keys.push_back("multi:" + std::to_string(i));
    if (i % 3 != 2) store(client, keys.back(), static_cast<size_t>(i % 200), static_cast<uint32_t>(i));
  }
  size_t udp_items = 0;
  for (size_t count : {1, 2, 10, 100, 250, 1000}) {
    const std::vector<std::string> some(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(count));
    const ItemMap udp = client.getMany(some);
    expectSame(udp, client.getManyTcp(some), "multi-get of " + std::to_string(count) + " keys");
    expectSame(client.getMany(some, true), client.getManyTcp(some, true), "multi-gets of " + std::to_string(count));
    expectSame(viaSink(client, some, false, false), viaSink(client, some, false, true),
               "multi-get of " + std::to_string(count) + " keys to a sink, UDP and TCP");
    udp_items += udp.size();
  }
  commands(client);
  std::printf("compare: %zu sizes and %zu multi-get items equal over UDP and TCP, in maps and through sinks; "
              "TCP commands as memcached\n",
              sizes.size(), udp_items);
  return 0;
}

int lossy(const ServerSpec& udp_server, const ServerSpec& tcp_server, int rounds) {
  ClientOptions options;
  options.udp_timeout = std::chrono::milliseconds(40);
  ServerClient writer(tcp_server.host, tcp_server.port, options);
  ServerClient reader(udp_server.host, udp_server.port, options);  // UDP only: through the relay

  // Small values (one datagram) and values of 2 to 15 datagrams, some of
  // equal length so that a swapped datagram would still fit the byte count.
  std::vector<std::string> keys;
  for (int i = 0; i < 120; ++i) {
    keys.push_back("lossy:" + std::to_string(i));
    const size_t size = i % 4 == 0 ? 2000 + static_cast<size_t>(i % 3) * 9000 : static_cast<size_t>(i * 5);
    if (i % 5 != 4) store(writer, keys.back(), size, static_cast<uint32_t>(i));
  }
  const ItemMap truth = writer.getManyTcp(keys, true);

  size_t hits = 0;
  size_t misses = 0;
  for (int round = 0; round < rounds; ++round) {
    const size_t first = static_cast<size_t>(round * 7) % keys.size();
    const size_t count = 1 + static_cast<size_t>(round * 13) % 60;
    std::vector<std::string> some;
    for (size_t i = 0; i < count; ++i) some.push_back(keys[(first + i) % keys.size()]);
    const bool with_cas = round % 2 == 1;
    const ItemMap got = reader.getMany(some, with_cas);
    for (const auto& [key, item] : got) {
      const auto expected = truth.find(key);
      if (expected == truth.end()) fail("round " + std::to_string(round) + ": a value for " + key + ", never stored");
      const bool right = item.value == expected->second.value && item.flags == expected->second.flags &&
                         item.cas == (with_cas ? expected->second.cas : 0);
      if (!right) fail("round " + std::to_string(round) + ": wrong value for " + key);
    }
    for (const std::string& key : some) {
      if (got.count(key)) {
        ++hits;
      } else if (truth.count(key)) {
        ++misses;
      }
    }
  }
  std::printf("lossy: %zu hits, %zu misses of stored keys, 0 wrong\n", hits, misses);
  return 0;
}

int pool(const std::string& servers, int count) {
  PoolOptions options;
  options.client.udp_timeout = std::chrono::milliseconds(500);
  options.client.udp_retries = 2;
  Pool pool(parseServerList(servers), options);
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back("pool:" + std::to_string(i));
  const ItemMap items = pool.getMany(keys);
  std::vector<size_t> per_server(pool.size());
  for (const std::string& key : keys) {
    const auto found = items.find(key);
    if (found == items.end()) fail("the pool did not find " + key + " where pylibmc put it");
    if (found->second.value != "value:" + key) fail("wrong value for " + key);
    ++per_server[pool.serverIndex(key)];
  }
  const auto single = pool.get(keys.back());
  if (!single || single->value != "value:" + keys.back()) fail("pool.get of " + keys.back());
  // Each meta command goes to its key's server, where pylibmc put the key.
  for (size_t i = 0; i < keys.size(); i += 50) {
    const auto reply = pool.meta("mg " + keys[i] + " v");
    if (reply.code != "VA" || reply.value != "value:" + keys[i]) fail("pool.meta(\"mg " + keys[i] + " v\")");
  }
  size_t sunk = 0;
  pool.getMany(keys, false, [&sunk](const ValueView& hit) {
    if (hit.value != "value:" + std::string(hit.key)) fail("the pool's sink got a wrong value for " + std::string(hit.key));
    ++sunk;
  });
  if (sunk != keys.size()) {
    fail("the pool's sink got " + std::to_string(sunk) + " of " + std::to_string(keys.size()) + " hits");
  }
  std::printf("pool: %d keys set by pylibmc read over UDP, to a map and to a sink (%zu/%zu/%zu per server)\n", count,
              per_server.at(0), per_server.at(1), per_server.at(2));
  return 0;
}

void waitForLine(const char* request) {
  std::printf("%s\n", request);
  std::fflush(stdout);
  char line[64];
  if (!std::fgets(line, sizeof(line), stdin)) fail(std::string("no answer to ") + request);
}

int failover(const std::string& servers) {
  PoolOptions options;
  options.client.udp_timeout = std::chrono::milliseconds(100);
  options.client.tcp_timeout = std::chrono::milliseconds(1000);
  options.client.reconnect_backoff_min = std::chrono::milliseconds(10);
  options.failure_limit = 2;
  options.dead_retry = std::chrono::milliseconds(1500);
  Pool pool(parseServerList(servers), options);
  std::vector<std::string> keys;
  std::vector<std::string> on_second;
  for (int i = 0; i < 200; ++i) {
    keys.push_back("failover:" + std::to_string(i));
    if (pool.set(keys.back(), "before:" + keys.back()) != StoreResult::kStored) fail("set " + keys.back());
    if (pool.serverIndex(keys.back()) == 1) on_second.push_back(keys.back());
  }
  if (on_second.empty()) fail("no key on the second server");

  waitForLine("STOP 1");
  // Two UDP multi-gets that time out on the second server mark it dead.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const ItemMap items = pool.getMany(keys);
    for (const std::string& key : on_second) {
      if (items.count(key)) fail("a value for " + key + " from a stopped server");
    }
  }
  if (pool.live(1)) fail("the stopped server is not marked dead after 2 timed-out reads");
  for (const std::string& key : on_second) {
    if (pool.serverIndex(key) == 1) fail(key + " still placed on the dead server");
    if (pool.set(key, "during:" + key) != StoreResult::kStored) fail("set " + key + " on the remaining servers");
  }
  const ItemMap during = pool.getMany(keys);
  for (const std::string& key : on_second) {
    if (!during.count(key) || during.at(key).value != "during:" + key) fail("read " + key + " from its new server");
  }

  waitForLine("START 1");
  const auto readmit_at = std::chrono::steady_clock::now() + options.dead_retry;
  while (std::chrono::steady_clock::now() < readmit_at) pool.getMany(keys);
  for (const std::string& key : on_second) {
    if (pool.serverIndex(key) != 1) fail(key + " not placed on the re-admitted server");
  }
  if (!pool.live(1)) fail("the restarted server is not re-admitted after dead_retry");
  for (const std::string& key : on_second) {
    if (pool.set(key, "after:" + key) != StoreResult::kStored) fail("set " + key + " on the re-admitted server");
  }
  const ItemMap after = pool.getMany(keys);
  for (const std::string& key : on_second) {
    if (!after.count(key) || after.at(key).value != "after:" + key) fail("read " + key + " back from it");
  }
  std::printf("failover: the stopped server was marked dead, its %zu keys moved, and came back after %lld ms\n",
              on_second.size(), static_cast<long long>(options.dead_retry.count()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    using unbuckle::client::parseServerSpec;
    if (mode == "compare" && argc == 3) return compare(parseServerSpec(argv[2]));
    if (mode == "lossy" && argc == 5) return lossy(parseServerSpec(argv[2]), parseServerSpec(argv[3]), std::atoi(argv[4]));
    if (mode == "pool" && argc == 4) return pool(argv[2], std::atoi(argv[3]));
    if (mode == "failover" && argc == 3) return failover(argv[2]);
    std::fprintf(stderr, "usage: %s compare SERVER | lossy UDP_SERVER TCP_SERVER ROUNDS | pool SERVERS COUNT | failover SERVERS\n",
                 argv[0]);
    return 2;
  } catch (const std::exception& e) {
    fail(e.what());
  }
}
