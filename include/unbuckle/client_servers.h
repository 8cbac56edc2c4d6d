// The servers of a client pool and the text operators write them in.
//
// One entry names one server, in the forms existing memcached clients and
// twemproxy accept, so a pool can be copied from their configuration:
//   host                      port 11211, weight 1
//   host:port                 pylibmc, php-memcached, libmemcached
//   host:port:weight          pylibmc, libmemcached, twemproxy
//   host:port weight          libmemcached's memcached_servers_parse
//   host:port:weight name     twemproxy (name: see ServerSpec::name)
// An IPv6 address is written in brackets, "[::1]:11211:2"; host keeps it
// without them (as pylibmc passes it to libmemcached). A list is entries
// separated by commas ("a:11211, b:11211:2"), as libmemcached's --servers.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace unbuckle::client {

inline constexpr uint16_t kDefaultServerPort = 11211;
// Larger weights are refused: 4,096 servers of this weight still sum within
// 32 bits, as twemproxy's total weight needs.
inline constexpr uint32_t kMaxServerWeight = 1'000'000;

struct ServerSpec {
  std::string host;  // as written (a name or an address), no brackets
  uint16_t port = kDefaultServerPort;
  uint32_t weight = 1;  // 1..kMaxServerWeight
  // twemproxy's optional server name ("host:port:weight name"): twemproxy
  // hashes it instead of "host:port" to place keys, so a pool keeps its
  // placement when a server moves. Empty: none. Only the twemproxy
  // distributions accept it (libmemcached has no names).
  std::string name;

  bool operator==(const ServerSpec&) const = default;
};

// A malformed entry; what() is one line naming the entry, what is wrong with
// it and the forms that are accepted.
class ServerListError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// One entry in any of the forms above, surrounding blanks ignored.
ServerSpec parseServerSpec(std::string_view entry);

// Comma-separated entries; at least one.
std::vector<ServerSpec> parseServerList(std::string_view list);

}  // namespace unbuckle::client
