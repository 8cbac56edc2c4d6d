// Ketama consistent hashing: which server of a pool holds a key, computed
// bit for bit as the operator's existing clients compute it, so that this
// client and theirs read and write the same server for every key.
//
// A continuum is a sorted ring of 32-bit points, each belonging to a server;
// a key belongs to the server of the first point at or after the key's hash
// (past the last point, the first). The reference implementations differ in
// the points' names, how many there are and how keys are hashed:
//
//   LibmemcachedKetamaWeighted  libmemcached 1.1 MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED:
//       pylibmc behaviors={"ketama_weighted": True}, php-memcached
//       Memcached::OPT_LIBKETAMA_COMPATIBLE. Points: "host:port-i" ("host-i"
//       when the port is 11211), 4 per MD5 digest of the name, 160 per
//       server scaled by weight / mean weight, rounded down to a multiple of
//       4 in float arithmetic as the references do (25 equal servers get 156
//       each). Keys: the first 4 bytes of their MD5, little-endian.
//   LibmemcachedKetama          libmemcached MEMCACHED_BEHAVIOR_KETAMA (or
//       DISTRIBUTION consistent) with the default hash: pylibmc
//       behaviors={"ketama": True}, php-memcached OPT_DISTRIBUTION =
//       DISTRIBUTION_CONSISTENT. 100 points per server, one per name
//       "host:port-i" as above, hashed with Bob Jenkins' one-at-a-time, as
//       keys are. Every weight must be 1: pylibmc sets its behaviours after
//       adding the servers, which turns libmemcached's weighting off. (A
//       client that adds servers after choosing the distribution, as
//       php-memcached code usually does, gets weighted MD5 points with
//       one-at-a-time keys once a weight is above 1; no distribution here
//       places as that one does.)
//   LibmemcachedKetamaMd5       the same with the hash MD5 set before the
//       distribution (pylibmc behaviors={"ketama": True, "hash": "md5"}:
//       pylibmc applies "hash" first whatever the dict's order): points and
//       keys are the first 4 bytes of their MD5, little-endian. (A client
//       that sets the hash after the distribution keeps one-at-a-time points
//       with MD5 keys; no distribution here places as that one does.)
//   TwemproxyKetamaMd5 / TwemproxyKetamaFnv1a64   twemproxy (nutcracker)
//       0.5 "distribution: ketama" with "hash: md5" / "hash: fnv1a_64".
//       Points as LibmemcachedKetamaWeighted, named after the server's name
//       when it has one, else "host:port" ("host" when the port is 11211).
//       Keys: the first 4 bytes of their MD5, or FNV-1a over 32 bits with
//       FNV-1a-64's offset basis and prime truncated to 32 bits (twemproxy's
//       fnv1a_64); the empty key hashes to 0. No hash_tag.
//
// Bytes of a key or name are hashed as libmemcached and twemproxy read them
// on x86 (signed char): one-at-a-time and fnv1a_64 sign-extend bytes >= 0x80.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "unbuckle/client_servers.h"

namespace unbuckle::client {

enum class Distribution {
  LibmemcachedKetamaWeighted,
  LibmemcachedKetama,
  LibmemcachedKetamaMd5,
  TwemproxyKetamaMd5,
  TwemproxyKetamaFnv1a64,
};

// "libmemcached-ketama-weighted", "libmemcached-ketama",
// "libmemcached-ketama-md5", "twemproxy-ketama-md5",
// "twemproxy-ketama-fnv1a_64": the names the CLI and the Python module use.
std::string_view distributionName(Distribution distribution);
// Throws std::invalid_argument (one line listing the names) for others.
Distribution parseDistribution(std::string_view name);

class Continuum {
 public:
  // Every server is live. Throws std::invalid_argument (one line) for an
  // empty pool, a weight other than 1 under LibmemcachedKetama(Md5), or a
  // server name under a libmemcached distribution.
  Continuum(const std::vector<ServerSpec>& servers, Distribution distribution);
  // Only the servers whose `live` entry is true get points, as libmemcached
  // and twemproxy rebuild their continuum after ejecting failed servers
  // (pylibmc remove_failed with dead_timeout, twemproxy auto_eject_hosts):
  // the weights are then scaled over the live servers only. `live` has one
  // entry per server; at least one is true.
  Continuum(const std::vector<ServerSpec>& servers, Distribution distribution,
            const std::vector<bool>& live);

  // Index into the constructor's `servers` of the server holding `key`.
  size_t serverIndex(std::string_view key) const;
  // The key's position on the ring (for tests and diagnostics).
  uint32_t keyHash(std::string_view key) const;

  size_t pointCount() const { return points_.size(); }
  Distribution distribution() const { return distribution_; }

 private:
  struct Point {
    uint32_t value;
    uint32_t server;
  };

  Distribution distribution_;
  size_t serverCount_;
  std::vector<Point> points_;  // sorted by value, then server
};

}  // namespace unbuckle::client
