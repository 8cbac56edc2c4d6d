// unbucklecat: get, set, delete, stats, version and flush against a pool of
// memcached servers through the client library
// (include/unbuckle/client_pool.h), in the manner of libmemcached's memcat,
// memcp, memrm, memstat and memflush: reads over
// UDP (or TCP with --tcp), the rest over TCP, keys placed by ketama as the
// operator's other clients place them.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "parse_command_line.h"
#include "unbuckle/client_pool.h"
#include "unbuckle/version.h"

namespace {

using namespace unbuckle::client;

constexpr int kExitOk = 0;
constexpr int kExitMiss = 1;
constexpr int kExitError = 2;

constexpr const char* kFooter =
    "Servers: --servers or, when it is not given, the MEMCACHED_SERVERS environment variable (as\n"
    "libmemcached's tools): comma-separated host, host:port, host:port:weight entries.\n"
    "\n"
    "Reads go over UDP (memcached needs -U PORT): a server that sends no whole reply within\n"
    "--udp-timeout, asked three times, is an error, not a miss. --tcp reads over TCP instead.\n"
    "\n"
    "Exit status: 0 done; 1 a key not found (get, delete) or not stored (set); 2 bad command\n"
    "line or server list, a server unreachable or not answering, an error reply. Every error\n"
    "is one line on stderr.";

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "unbucklecat: %s\n", message.c_str());
  return code;
}

std::chrono::milliseconds milliseconds(double seconds) {
  return std::chrono::milliseconds(std::max<long long>(1, std::llround(seconds * 1000)));
}

// Reads `path` ("-": standard input) whole; false with `error` set when it cannot.
bool readFile(const std::string& path, std::string& data, std::string& error) {
  if (path == "-") {
    data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read --file " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream out;
  out << in.rdbuf();
  data = out.str();
  return true;
}

int get(Pool& pool, const std::vector<std::string>& keys, bool tcp) {
  ItemMap items;
  try {
    items = tcp ? pool.getManyTcp(keys) : pool.getMany(keys);
  } catch (const TimeoutError& e) {
    if (tcp) throw;
    return fail(kExitError, std::string(e.what()) + ", asked 3 times (is every server up and serving UDP? memcached "
                                                    "needs -U PORT; or read with --tcp)");
  }
  int code = kExitOk;
  for (const std::string& key : keys) {
    const auto found = items.find(key);
    if (found == items.end()) {
      code = fail(kExitMiss, key + ": not found");
      continue;
    }
    std::fwrite(found->second.value.data(), 1, found->second.value.size(), stdout);
    std::fputc('\n', stdout);
  }
  return code;
}

// `work` on every server of the pool, dead or not; a server that fails is
// named on stderr and the others are still done.
template <class Work>
int onEachServer(Pool& pool, Work work) {
  int code = kExitOk;
  for (size_t i = 0; i < pool.size(); ++i) {
    try {
      work(pool.server(i));
    } catch (const ClientError& e) {
      code = fail(kExitError, e.what());
    }
  }
  return code;
}

int stats(Pool& pool, const std::string& group) {
  return onEachServer(pool, [&](ServerClient& server) {
    const auto fields = server.stats(group);
    std::printf("Server: %s\n", server.name().c_str());
    for (const auto& [name, value] : fields) std::printf("\t%s: %s\n", name.c_str(), value.c_str());
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string servers;
  std::string distribution = PoolOptions{}.distribution;
  double udp_timeout = 0.25;
  double tcp_timeout = 5;
  unsigned udp_keys_per_request = 0;
  std::vector<std::string> keys;
  bool tcp = false;
  std::string key;
  std::string value;
  std::string file;
  uint32_t flags = 0;
  int64_t expire = 0;
  std::string group;

  CLI::App app(
      "unbucklecat: read and write a pool of memcached servers (unbuckle-xdp or memcached) as the\n"
      "fleet does: GETs over UDP, writes over TCP, keys placed by ketama like libmemcached's.",
      "unbucklecat");
  app.footer(kFooter);
  app.get_formatter()->column_width(34);
  app.set_version_flag("--version", "unbucklecat " UNBUCKLE_VERSION);
  app.add_option("--servers", servers, "The pool, e.g. 10.0.0.1:11211,10.0.0.2:11211:2")
      ->envname("MEMCACHED_SERVERS")
      ->type_name("LIST");
  app.add_option("--distribution", distribution,
                 "Key placement: libmemcached-ketama-weighted (pylibmc ketama_weighted, php-memcached "
                 "OPT_LIBKETAMA_COMPATIBLE), libmemcached-ketama, libmemcached-ketama-md5, twemproxy-ketama-md5, "
                 "twemproxy-ketama-fnv1a_64")
      ->capture_default_str()
      ->type_name("NAME");
  app.add_option("--udp-timeout", udp_timeout, "Seconds to wait for a UDP reply before asking again")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0))
      ->type_name("SECONDS");
  app.add_option("--udp-keys-per-request", udp_keys_per_request,
                 "Most keys in one UDP request of a get; 0: as many as fit a datagram. 1 asks each key as "
                 "`get KEY`, which unbuckle-xdp's kernel cache answers from XDP")
      ->capture_default_str()
      ->type_name("N");
  app.add_option("--tcp-timeout", tcp_timeout, "Seconds a TCP command may take, connecting included")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0))
      ->type_name("SECONDS");
  app.require_subcommand(1);

  CLI::App* get_command = app.add_subcommand("get", "Print the value of each KEY followed by a newline (as memcat)");
  get_command->add_option("KEY", keys, "Keys, any number, read in one multi-get")->required();
  get_command->add_flag("--tcp", tcp, "Read over TCP instead of UDP");
  get_command->footer(kFooter);

  CLI::App* set_command = app.add_subcommand("set", "Store VALUE, or the bytes of --file, under KEY (over TCP)");
  set_command->add_option("KEY", key, "Key")->required();
  CLI::Option* value_option = set_command->add_option("VALUE", value, "Value");
  CLI::Option* file_option =
      set_command->add_option("--file", file, "Store the bytes of FILE (- for standard input)")->type_name("FILE");
  value_option->excludes(file_option);
  set_command->add_option("--flags", flags, "Client flags stored with the value")->capture_default_str();
  set_command->add_option("--expire", expire, "Expiry: seconds from now, or a Unix time; 0 never")
      ->capture_default_str();
  set_command->footer(kFooter);

  CLI::App* delete_command = app.add_subcommand("delete", "Delete each KEY (over TCP)");
  delete_command->add_option("KEY", keys, "Keys")->required();
  delete_command->footer(kFooter);

  CLI::App* stats_command =
      app.add_subcommand("stats", "Print every server's stats (or `stats GROUP`: items, slabs, settings...)");
  stats_command->add_option("GROUP", group, "A stats group");
  stats_command->footer(kFooter);

  CLI::App* version_command =
      app.add_subcommand("version", "Print each server's version as `host:port version` (as memstat --server-version)");
  version_command->footer(kFooter);

  CLI::App* flush_command =
      app.add_subcommand("flush", "Invalidate every item of every server, now or at --expire (as memflush)");
  flush_command->add_option("--expire", expire, "Seconds from now, or a Unix time, at which to flush; 0 now")
      ->capture_default_str();
  flush_command->footer(kFooter);

  if (const std::optional<int> code = unbuckle::tools::parseCommandLine(app, argc, argv, kExitError)) return *code;
  if (servers.empty()) {
    return fail(kExitError, "no servers: give --servers=host:port,... or set MEMCACHED_SERVERS");
  }
  if (set_command->parsed() && value_option->count() == 0 && file_option->count() == 0) {
    return fail(kExitError, "set needs a VALUE or --file FILE (unbucklecat set --help)");
  }
  std::string data = value;
  if (set_command->parsed() && file_option->count() > 0) {
    std::string error;
    if (!readFile(file, data, error)) return fail(kExitError, error);
  }

  PoolOptions options;
  options.distribution = distribution;
  options.client.udp_timeout = milliseconds(udp_timeout);
  options.client.udp_retries = 2;
  options.client.udp_timeout_is_error = true;
  options.client.udp_keys_per_request = udp_keys_per_request;
  options.client.tcp_timeout = milliseconds(tcp_timeout);
  try {
    Pool pool(parseServerList(servers), options);
    if (get_command->parsed()) return get(pool, keys, tcp);
    if (stats_command->parsed()) return stats(pool, group);
    if (version_command->parsed()) {
      return onEachServer(pool, [](ServerClient& server) {
        const std::string version = server.version();
        std::printf("%s %s\n", server.name().c_str(), version.c_str());
      });
    }
    if (flush_command->parsed()) return onEachServer(pool, [&](ServerClient& server) { server.flushAll(expire); });
    if (set_command->parsed()) {
      if (pool.set(key, data, flags, expire) == StoreResult::kStored) return kExitOk;
      return fail(kExitMiss, key + ": not stored");
    }
    int code = kExitOk;
    for (const std::string& name : keys) {
      if (!pool.remove(name)) code = fail(kExitMiss, name + ": not found");
    }
    return code;
  } catch (const ServerListError& e) {
    return fail(kExitError, std::string("--servers: ") + e.what());
  } catch (const std::exception& e) {
    return fail(kExitError, e.what());
  }
}
