// Ketama continua of libmemcached 1.1 and twemproxy 0.5 (see ketama.h for
// what each distribution is).
#include "ketama.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "md5.h"

namespace unbuckle::client {
namespace {

constexpr uint32_t kWeightedPointsPerServer = 160;  // 4 per digest
constexpr uint32_t kPointsPerDigest = 4;
constexpr uint32_t kUnweightedPointsPerServer = 100;  // libmemcached, one per name

struct NamedDistribution {
  Distribution distribution;
  std::string_view name;
};
constexpr NamedDistribution kNames[] = {
    {Distribution::LibmemcachedKetamaWeighted, "libmemcached-ketama-weighted"},
    {Distribution::LibmemcachedKetama, "libmemcached-ketama"},
    {Distribution::LibmemcachedKetamaMd5, "libmemcached-ketama-md5"},
    {Distribution::TwemproxyKetamaMd5, "twemproxy-ketama-md5"},
    {Distribution::TwemproxyKetamaFnv1a64, "twemproxy-ketama-fnv1a_64"},
};

bool isTwemproxy(Distribution d) {
  return d == Distribution::TwemproxyKetamaMd5 || d == Distribution::TwemproxyKetamaFnv1a64;
}
bool isUnweighted(Distribution d) {
  return d == Distribution::LibmemcachedKetama || d == Distribution::LibmemcachedKetamaMd5;
}

// The references read bytes through a (signed) char and widen them.
uint32_t widenedByte(char c) {
  return static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(c)));
}

uint32_t oneAtATime(std::string_view data) {
  uint32_t value = 0;
  for (char c : data) {
    value += widenedByte(c);
    value += value << 10;
    value ^= value >> 6;
  }
  value += value << 3;
  value ^= value >> 11;
  value += value << 15;
  return value;
}

// twemproxy's fnv1a_64 keeps only 32 bits of state.
uint32_t twemproxyFnv1a64(std::string_view data) {
  uint32_t hash = static_cast<uint32_t>(0xcbf29ce484222325ULL);
  for (char c : data) {
    hash ^= widenedByte(c);
    hash *= static_cast<uint32_t>(0x100000001b3ULL);
  }
  return hash;
}

// Points of a weighted continuum for one server: 160 scaled by its share of
// the live weight, rounded down to whole digests, computed in float exactly
// as each reference writes it (they differ only in the epsilon's type).
uint32_t weightedPoints(Distribution d, uint32_t weight, uint64_t totalWeight, uint32_t live) {
  const float pct = static_cast<float>(weight) / static_cast<float>(totalWeight);
  const float share = pct * static_cast<float>(kWeightedPointsPerServer) / 4.0f * static_cast<float>(live);
  float rounded;
  if (isTwemproxy(d)) {
    rounded = std::floor(static_cast<float>(static_cast<double>(share) + 0.0000000001));
  } else {
    rounded = std::floor(share + 0.0000000001F);
  }
  return static_cast<uint32_t>(rounded) * kPointsPerDigest;
}

// The name a point's hash is taken of, without its "-i" suffix.
std::string pointPrefix(Distribution d, const ServerSpec& server) {
  if (isTwemproxy(d) && !server.name.empty()) return server.name;
  if (server.port == kDefaultServerPort) return server.host;
  return server.host + ":" + std::to_string(server.port);
}

void validate(const std::vector<ServerSpec>& servers, Distribution d, const std::vector<bool>& live) {
  if (servers.empty()) throw std::invalid_argument("ketama: the pool has no server; give at least one");
  if (live.size() != servers.size()) {
    throw std::invalid_argument("ketama: " + std::to_string(live.size()) + " liveness flags for " +
                                std::to_string(servers.size()) + " servers; give one per server");
  }
  if (std::find(live.begin(), live.end(), true) == live.end()) {
    throw std::invalid_argument("ketama: no live server to place keys on; keep at least one live");
  }
  for (const ServerSpec& s : servers) {
    const std::string where = "ketama: server " + pointPrefix(d, s) + ": ";
    if (s.weight < 1 || s.weight > kMaxServerWeight) {
      throw std::invalid_argument(where + "weight " + std::to_string(s.weight) + " is not from 1 to " +
                                  std::to_string(kMaxServerWeight));
    }
    if (isUnweighted(d) && s.weight != 1) {
      throw std::invalid_argument(where + "weight " + std::to_string(s.weight) + " under " +
                                  std::string(distributionName(d)) +
                                  ", which ignores weights as pylibmc's \"ketama\" does; set weight 1 "
                                  "or use libmemcached-ketama-weighted");
    }
    if (!isTwemproxy(d) && !s.name.empty()) {
      throw std::invalid_argument(where + "name \"" + s.name + "\" under " +
                                  std::string(distributionName(d)) +
                                  ": only twemproxy places keys by server name; drop the name");
    }
  }
}

}  // namespace

std::string_view distributionName(Distribution distribution) {
  for (const auto& entry : kNames) {
    if (entry.distribution == distribution) return entry.name;
  }
  return "unknown";
}

Distribution parseDistribution(std::string_view name) {
  std::string known;
  for (const auto& entry : kNames) {
    if (entry.name == name) return entry.distribution;
    known += (known.empty() ? "" : ", ") + std::string(entry.name);
  }
  throw std::invalid_argument("no ketama distribution \"" + std::string(name) + "\"; use one of " + known);
}

Continuum::Continuum(const std::vector<ServerSpec>& servers, Distribution distribution)
    : Continuum(servers, distribution, std::vector<bool>(servers.size(), true)) {}

Continuum::Continuum(const std::vector<ServerSpec>& servers, Distribution distribution,
                     const std::vector<bool>& live)
    : distribution_(distribution), serverCount_(servers.size()) {
  validate(servers, distribution, live);
  uint32_t liveCount = 0;
  uint64_t totalWeight = 0;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (!live[i]) continue;
    ++liveCount;
    totalWeight += servers[i].weight;
  }

  for (size_t i = 0; i < servers.size(); ++i) {
    if (!live[i]) continue;
    const std::string prefix = pointPrefix(distribution, servers[i]) + "-";
    const auto server = static_cast<uint32_t>(i);
    if (isUnweighted(distribution)) {
      for (uint32_t n = 0; n < kUnweightedPointsPerServer; ++n) {
        points_.push_back({keyHash(prefix + std::to_string(n)), server});
      }
      continue;
    }
    const uint32_t count = weightedPoints(distribution, servers[i].weight, totalWeight, liveCount);
    for (uint32_t n = 0; n < count / kPointsPerDigest; ++n) {
      const Md5Digest digest = md5(prefix + std::to_string(n));
      for (uint32_t x = 0; x < kPointsPerDigest; ++x) points_.push_back({md5Word(digest, x), server});
    }
  }
  // libmemcached orders equal values by server index; twemproxy's qsort
  // (glibc's merge sort, stable) keeps them in insertion order, which is
  // also by server index.
  std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
    return a.value != b.value ? a.value < b.value : a.server < b.server;
  });
}

uint32_t Continuum::keyHash(std::string_view key) const {
  switch (distribution_) {
    case Distribution::LibmemcachedKetama:
      return oneAtATime(key);
    case Distribution::TwemproxyKetamaFnv1a64:
      return key.empty() ? 0 : twemproxyFnv1a64(key);
    case Distribution::TwemproxyKetamaMd5:
      if (key.empty()) return 0;
      break;
    case Distribution::LibmemcachedKetamaWeighted:
    case Distribution::LibmemcachedKetamaMd5:
      break;
  }
  return md5Word(md5(key), 0);
}

size_t Continuum::serverIndex(std::string_view key) const {
  // Both references skip hashing for a pool of one server.
  if (serverCount_ == 1) return 0;
  const uint32_t hash = keyHash(key);
  auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                             [](const Point& p, uint32_t h) { return p.value < h; });
  if (it == points_.end()) it = points_.begin();
  return it->server;
}

}  // namespace unbuckle::client
