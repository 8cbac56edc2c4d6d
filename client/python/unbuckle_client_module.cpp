// The Python module unbuckle_client: the client library's Pool
// (include/unbuckle/client_pool.h) with calls modelled on pymemcache's.
// Reads over UDP (tcp=True reads over TCP), writes and the rest over TCP;
// keys are placed by ketama as the operator's existing clients place them.
// Keys and values are bytes (a str is sent as its UTF-8 bytes); values come
// back as bytes. Every network call runs without the GIL; a Client may be
// shared between threads, its calls then run one at a time.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "unbuckle/client_pool.h"

namespace py = pybind11;

namespace unbuckle::client {
namespace {

constexpr double kMaxSeconds = 86400;

// A count of keys the C++ option (unsigned) can hold; Python ints are unbounded.
unsigned keysPerRequest(int64_t keys) {
  if (keys < 0 || keys > std::numeric_limits<unsigned>::max()) {
    throw py::value_error("udp_keys_per_request is " + std::to_string(keys) +
                          ": give 0 (as many keys as fit one datagram) or a number of keys");
  }
  return static_cast<unsigned>(keys);
}

std::chrono::milliseconds milliseconds(double seconds, const char* name) {
  if (!(seconds > 0 && seconds <= kMaxSeconds)) {
    throw py::value_error(std::string(name) + " is " + py::repr(py::float_(seconds)).cast<std::string>() +
                          ": give seconds above 0 and at most 86400 (0.1 is 100 ms)");
  }
  return std::chrono::milliseconds(std::max<int64_t>(1, std::llround(seconds * 1000)));
}

// A list of "host:port[:weight]" entries, or one comma-separated string.
std::vector<ServerSpec> serverSpecs(const py::object& servers) {
  if (py::isinstance<py::str>(servers)) return parseServerList(servers.cast<std::string>());
  std::vector<ServerSpec> specs;
  for (const py::handle entry : servers) {
    if (!py::isinstance<py::str>(entry) && !py::isinstance<py::bytes>(entry)) {
      throw py::type_error("servers holds " + py::repr(entry).cast<std::string>() +
                           ": give \"host:port[:weight]\" strings");
    }
    specs.push_back(parseServerSpec(entry.cast<std::string>()));
  }
  if (specs.empty()) throw py::value_error("servers is empty: give at least one \"host:port\"");
  return specs;
}

// Keys as the caller gave them (the result dicts use these objects) and as bytes.
struct Keys {
  std::vector<py::object> objects;
  std::vector<std::string> bytes;
};

Keys keyList(const py::iterable& keys) {
  Keys out;
  for (const py::handle key : keys) {
    out.objects.push_back(py::reinterpret_borrow<py::object>(key));
    out.bytes.push_back(key.cast<std::string>());
  }
  return out;
}

class Client {
 public:
  Client(const py::object& servers, double udp_timeout, unsigned udp_retries, bool udp_timeout_is_error,
         int64_t udp_keys_per_request, double tcp_timeout, const std::string& distribution, unsigned failure_limit,
         double dead_retry)
      : pool_(makePool(serverSpecs(servers), options(udp_timeout, udp_retries, udp_timeout_is_error,
                                                     udp_keys_per_request, tcp_timeout, distribution, failure_limit,
                                                     dead_retry))) {}

  py::object get(const std::string& key, const py::object& fallback, bool tcp) {
    const std::optional<Item> item = read(key, false, tcp);
    if (!item) return fallback;
    return py::bytes(item->value);
  }

  py::tuple gets(const std::string& key, bool tcp) {
    const std::optional<Item> item = read(key, true, tcp);
    if (!item) return py::make_tuple(py::none(), py::none());
    return py::make_tuple(py::bytes(item->value), item->cas);
  }

  py::dict getMany(const py::iterable& keys, bool tcp) {
    return readMany(keys, false, tcp, [](const Item& item) -> py::object { return py::bytes(item.value); });
  }

  py::dict getsMany(const py::iterable& keys, bool tcp) {
    return readMany(keys, true, tcp,
                    [](const Item& item) -> py::object { return py::make_tuple(py::bytes(item.value), item.cas); });
  }

  bool set(const std::string& key, const std::string& value, int64_t expire, uint32_t flags) {
    return call([&](Pool& p) { return p.set(key, value, flags, expire); }) == StoreResult::kStored;
  }
  bool add(const std::string& key, const std::string& value, int64_t expire, uint32_t flags) {
    return call([&](Pool& p) { return p.add(key, value, flags, expire); }) == StoreResult::kStored;
  }
  bool replace(const std::string& key, const std::string& value, int64_t expire, uint32_t flags) {
    return call([&](Pool& p) { return p.replace(key, value, flags, expire); }) == StoreResult::kStored;
  }
  bool append(const std::string& key, const std::string& value) {
    return call([&](Pool& p) { return p.append(key, value); }) == StoreResult::kStored;
  }
  bool prepend(const std::string& key, const std::string& value) {
    return call([&](Pool& p) { return p.prepend(key, value); }) == StoreResult::kStored;
  }

  // True stored, False changed since `cas_unique` was read, None not found.
  std::optional<bool> cas(const std::string& key, const std::string& value, uint64_t cas_unique, int64_t expire,
                          uint32_t flags) {
    const StoreResult result = call([&](Pool& p) { return p.cas(key, value, cas_unique, flags, expire); });
    if (result == StoreResult::kNotFound) return std::nullopt;
    return result == StoreResult::kStored;
  }

  bool remove(const std::string& key) {
    return call([&](Pool& p) { return p.remove(key); });
  }
  std::optional<uint64_t> incr(const std::string& key, uint64_t value) {
    return call([&](Pool& p) { return p.incr(key, value); });
  }
  std::optional<uint64_t> decr(const std::string& key, uint64_t value) {
    return call([&](Pool& p) { return p.decr(key, value); });
  }
  bool touch(const std::string& key, int64_t expire) {
    return call([&](Pool& p) { return p.touch(key, expire); });
  }

  // Each server's sets pipelined: the keys not stored.
  py::list setMany(const py::dict& values, int64_t expire, uint32_t flags) {
    std::vector<py::object> keys;
    std::vector<std::pair<std::string, std::string>> owned;
    for (const auto& [key, value] : values) {
      keys.push_back(py::reinterpret_borrow<py::object>(key));
      owned.emplace_back(key.cast<std::string>(), value.cast<std::string>());
    }
    const std::vector<std::pair<std::string_view, std::string_view>> items(owned.begin(), owned.end());
    const std::vector<StoreResult> results = call([&](Pool& p) { return p.setMany(items, flags, expire); });
    py::list not_stored;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i] != StoreResult::kStored) not_stored.append(keys[i]);
    }
    return not_stored;
  }

  // Each server's deletes pipelined: how many keys were deleted.
  size_t deleteMany(const py::iterable& keys) {
    const Keys list = keyList(keys);
    const std::vector<std::string_view> views(list.bytes.begin(), list.bytes.end());
    const std::vector<bool> deleted = call([&](Pool& p) { return p.removeMany(views); });
    return static_cast<size_t>(std::count(deleted.begin(), deleted.end(), true));
  }

  // (code, flags, value) of a meta command on its key's server.
  py::tuple meta(const std::string& command, const std::string& data) {
    const MetaReply reply = call([&](Pool& p) { return p.meta(command, data); });
    const py::object value = reply.value ? py::object(py::bytes(*reply.value)) : py::object(py::none());
    return py::make_tuple(reply.code, reply.flags, value);
  }

  // {"host:port": {name: value}} for every server of the pool.
  std::map<std::string, std::map<std::string, std::string>> stats(const std::string& group) {
    return onEachServer([&](ServerClient& c) { return c.stats(group); });
  }

  std::map<std::string, std::string> version() {
    return onEachServer([](ServerClient& c) { return c.version(); });
  }

  bool flushAll(int64_t delay) {
    onEachServer([&](ServerClient& c) {
      c.flushAll(delay);
      return true;
    });
    return true;
  }

  void close() {
    call([](Pool& p) {
      p.disconnect();
      return true;
    });
  }

  std::string serverFor(const std::string& key) {
    return call([&](Pool& p) { return p.server(p.serverIndex(key)).name(); });
  }

  std::vector<std::string> deadServers() {
    return call([&](Pool& p) {
      std::vector<std::string> dead;
      for (size_t i = 0; i < p.size(); ++i) {
        if (!p.live(i)) dead.push_back(p.server(i).name());
      }
      return dead;
    });
  }

 private:
  static PoolOptions options(double udp_timeout, unsigned udp_retries, bool udp_timeout_is_error,
                             int64_t udp_keys_per_request, double tcp_timeout, const std::string& distribution,
                             unsigned failure_limit, double dead_retry) {
    PoolOptions options;
    options.client.udp_timeout = milliseconds(udp_timeout, "udp_timeout");
    options.client.udp_retries = udp_retries;
    options.client.udp_timeout_is_error = udp_timeout_is_error;
    options.client.udp_keys_per_request = keysPerRequest(udp_keys_per_request);
    options.client.tcp_timeout = milliseconds(tcp_timeout, "tcp_timeout");
    options.distribution = distribution;
    options.failure_limit = failure_limit;
    options.dead_retry = milliseconds(dead_retry, "dead_retry");
    return options;
  }

  // Resolving the servers' names may block.
  static Pool makePool(std::vector<ServerSpec> specs, PoolOptions options) {
    py::gil_scoped_release release;
    return Pool(std::move(specs), std::move(options));
  }

  // {"host:port": work(server)} for every server of the pool, dead ones included.
  template <class Work>
  std::map<std::string, std::invoke_result_t<Work&, ServerClient&>> onEachServer(Work work) {
    return call([&](Pool& p) {
      std::map<std::string, std::invoke_result_t<Work&, ServerClient&>> all;
      for (size_t i = 0; i < p.size(); ++i) all[p.server(i).name()] = work(p.server(i));
      return all;
    });
  }

  // `work` on the pool without the GIL, one thread at a time (the lock is
  // taken after the GIL is released, so a waiting thread holds no GIL).
  template <class Work>
  std::invoke_result_t<Work&, Pool&> call(Work work) {
    py::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    return work(pool_);
  }

  std::optional<Item> read(const std::string& key, bool with_cas, bool tcp) {
    return call([&](Pool& p) -> std::optional<Item> {
      if (!tcp) return with_cas ? p.gets(key) : p.get(key);
      const std::string keys[] = {key};
      ItemMap items = p.getManyTcp(keys, with_cas);
      if (items.empty()) return std::nullopt;
      return std::move(items.begin()->second);
    });
  }

  template <class Convert>
  py::dict readMany(const py::iterable& keys, bool with_cas, bool tcp, Convert convert) {
    const Keys list = keyList(keys);
    const ItemMap items =
        call([&](Pool& p) { return tcp ? p.getManyTcp(list.bytes, with_cas) : p.getMany(list.bytes, with_cas); });
    py::dict out;
    for (size_t i = 0; i < list.bytes.size(); ++i) {
      const auto found = items.find(list.bytes[i]);
      if (found != items.end()) out[list.objects[i]] = convert(found->second);
    }
    return out;
  }

  std::mutex mutex_;
  Pool pool_;
};

}  // namespace
}  // namespace unbuckle::client

PYBIND11_MODULE(unbuckle_client, m) {
  using unbuckle::client::Client;
  namespace uc = unbuckle::client;
  m.doc() =
      "memcached client for UDP reads and TCP writes over a ketama pool (unbuckle-xdp's client library).\n"
      "Keys and values are bytes (str keys and values are sent as UTF-8); values are returned as bytes.\n"
      "A multi-get over UDP is sent as requests of one datagram each, or of at most udp_keys_per_request keys\n"
      "(Client(..., udp_keys_per_request=1): one `get KEY` per key, which unbuckle-xdp's kernel cache answers).";
  static py::exception<uc::ClientError> client_error(m, "ClientError", PyExc_Exception);
  static py::exception<uc::TimeoutError> timeout_error(m, "TimeoutError", client_error.ptr());
  static py::exception<uc::ReplyError> reply_error(m, "ReplyError", client_error.ptr());
  client_error.doc() = "A server unreachable, a connection lost, a reply that cannot be parsed; one line naming the server.";
  timeout_error.doc() = "No reply within tcp_timeout (or udp_timeout with udp_timeout_is_error=True).";
  reply_error.doc() =
      "The server answered with an error line (CLIENT_ERROR ..., SERVER_ERROR out of memory ...) or an unexpected\n"
      "reply. It is up: the pool does not count this towards marking it dead.";
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const uc::TimeoutError& e) {
      timeout_error(e.what());
    } catch (const uc::ReplyError& e) {
      reply_error(e.what());
    } catch (const uc::ClientError& e) {
      client_error(e.what());
    }
  });

  py::class_<Client>(m, "Client",
                     "A pool of memcached servers: reads over UDP, writes and the rest over TCP, each key on the\n"
                     "server ketama places it on (as pylibmc's ketama_weighted by default).")
      .def(py::init<const py::object&, double, unsigned, bool, int64_t, double, const std::string&, unsigned,
                    double>(),
           py::arg("servers"), py::kw_only(), py::arg("udp_timeout") = 0.25, py::arg("udp_retries") = 0,
           py::arg("udp_timeout_is_error") = false, py::arg("udp_keys_per_request") = 0, py::arg("tcp_timeout") = 5.0,
           py::arg("distribution") = "libmemcached-ketama-weighted", py::arg("failure_limit") = 2,
           py::arg("dead_retry") = 30.0,
           "servers: [\"host:port[:weight]\", ...] or one \"host:port,host:port\" string.\n"
           "udp_timeout: seconds after which an unanswered UDP read is a miss (retried udp_retries times first;\n"
           "  with udp_timeout_is_error=True it raises TimeoutError instead).\n"
           "udp_keys_per_request: most keys in one UDP request of a multi-get; 0 (the default) as many as fit\n"
           "  one datagram. 1 asks each key as a plain `get KEY`, the only request unbuckle-xdp's kernel cache\n"
           "  answers from XDP; a server without one then handles one request per key.\n"
           "tcp_timeout: seconds a TCP call (connecting included) may take before TimeoutError.\n"
           "distribution: libmemcached-ketama-weighted, libmemcached-ketama, libmemcached-ketama-md5,\n"
           "  twemproxy-ketama-md5 or twemproxy-ketama-fnv1a_64.\n"
           "failure_limit, dead_retry: a server failing failure_limit times in a row is left out of the pool\n"
           "  (its keys go to the others) for dead_retry seconds.")
      .def("get", &Client::get, py::arg("key"), py::arg("default") = py::none(), py::kw_only(),
           py::arg("tcp") = false, "The value (bytes), or default on a miss. Over UDP unless tcp=True.")
      .def("gets", &Client::gets, py::arg("key"), py::kw_only(), py::arg("tcp") = false,
           "(value, cas), or (None, None) on a miss. Over UDP unless tcp=True.")
      .def("get_many", &Client::getMany, py::arg("keys"), py::kw_only(), py::arg("tcp") = false,
           "{key: value} for the keys found, any number of keys. Over UDP unless tcp=True.")
      .def("gets_many", &Client::getsMany, py::arg("keys"), py::kw_only(), py::arg("tcp") = false,
           "{key: (value, cas)} for the keys found. Over UDP unless tcp=True.")
      .def("set", &Client::set, py::arg("key"), py::arg("value"), py::arg("expire") = 0, py::arg("flags") = 0,
           "True when stored.")
      .def("add", &Client::add, py::arg("key"), py::arg("value"), py::arg("expire") = 0, py::arg("flags") = 0,
           "True when stored, False when the key exists.")
      .def("replace", &Client::replace, py::arg("key"), py::arg("value"), py::arg("expire") = 0,
           py::arg("flags") = 0, "True when stored, False when the key is missing.")
      .def("append", &Client::append, py::arg("key"), py::arg("value"), "True when stored, False when missing.")
      .def("prepend", &Client::prepend, py::arg("key"), py::arg("value"), "True when stored, False when missing.")
      .def("cas", &Client::cas, py::arg("key"), py::arg("value"), py::arg("cas"), py::arg("expire") = 0,
           py::arg("flags") = 0, "True stored, False changed since gets, None not found.")
      .def("delete", &Client::remove, py::arg("key"), "True when deleted, False when not found.")
      .def("incr", &Client::incr, py::arg("key"), py::arg("value"), "The new value, or None when not found.")
      .def("decr", &Client::decr, py::arg("key"), py::arg("value"),
           "The new value (not below 0), or None when not found.")
      .def("touch", &Client::touch, py::arg("key"), py::arg("expire") = 0,
           "True when the expiry was changed, False when not found.")
      .def("set_many", &Client::setMany, py::arg("values"), py::arg("expire") = 0, py::arg("flags") = 0,
           "Sets each key of the dict {key: value} over TCP, each server's sets pipelined; the list of keys not stored.")
      .def("delete_many", &Client::deleteMany, py::arg("keys"),
           "Deletes each key over TCP, each server's deletes pipelined; how many were found and deleted.")
      .def("meta", &Client::meta, py::arg("command"), py::arg("data") = "",
           "A meta command line without \\r\\n (\"mg KEY v f\", \"ms KEY 5 T60\" with data=b\"value\", \"md KEY\",\n"
           "\"ma KEY D2\") on the server of KEY, over TCP: (code, flags, value), as (\"VA\", [\"f5\"], b\"value\") or\n"
           "(\"EN\", [], None). ValueError for quiet mode (q), mn and base64 keys (b): they name no server here.")
      .def("stats", &Client::stats, py::arg("group") = "",
           "{\"host:port\": {name: value}} of every server (\"stats GROUP\" when given), over TCP.")
      .def("version", &Client::version, "{\"host:port\": version} of every server, over TCP.")
      .def("flush_all", &Client::flushAll, py::arg("delay") = 0,
           "flush_all on every server, over TCP: every item invalid now, or in delay seconds. True.")
      .def("close", &Client::close,
           "Closes the TCP connection to every server, as pymemcache's close(); the next TCP call connects again.")
      .def("server_for", &Client::serverFor, py::arg("key"),
           "\"host:port\" of the server that holds key now (dead servers left out).")
      .def("dead_servers", &Client::deadServers,
           "\"host:port\" of the servers left out after failing, as of the last call.");
}
