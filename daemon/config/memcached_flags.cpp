#include "config/memcached_flags.h"

#include <array>

namespace unbuckle::config {

namespace {

struct MemcachedFlag {
  char letter;
  std::string_view long_name;  // empty: the long name is this daemon's too
  std::string_view what;       // memcached's meaning
  std::string_view here;       // this daemon's flag for it; empty: not built
};

// memcached 1.6.18, `memcached -h`; -h is --help here too.
constexpr std::array<MemcachedFlag, 34> kFlags{{
    {'p', "", "TCP port", "--tcp-port N"},
    {'U', "--udp-port", "UDP port", "--port N (the TCP port follows it unless --tcp-port is given)"},
    {'s', "--unix-socket", "UNIX socket", ""},
    {'a', "--unix-mask", "UNIX socket mask", ""},
    {'A', "", "the shutdown command", "--enable-shutdown"},
    {'l', "", "listen address", "--listen ADDR"},
    {'d', "--daemon", "run as a daemon", ""},
    {'r', "--enable-coredumps", "core file limit", ""},
    {'u', "--user", "user to run as", ""},
    {'m', "", "item memory in megabytes", "--memory-limit MB"},
    {'M', "", "no evictions", "--disable-evictions"},
    {'c', "--conn-limit", "connection limit", "--max-connections N"},
    {'k', "--lock-memory", "locked memory", ""},
    {'v', "--verbose", "verbose", "--log-level debug"},
    {'i', "--license", "licenses", ""},
    {'V', "", "version", "--version"},
    {'P', "--pidfile", "PID file", ""},
    {'f', "--slab-growth-factor", "slab growth factor", ""},
    {'n', "--slab-min-size", "slab minimum size", ""},
    {'L', "--enable-largepages", "large pages", ""},
    {'t', "", "worker threads", "--threads N"},
    {'R', "--max-reqs-per-event", "requests per event", ""},
    {'C', "", "no cas", "--disable-cas"},
    {'b', "--listen-backlog", "listen backlog", ""},
    {'B', "--protocol", "binary protocol", ""},
    {'I', "", "largest item", "--max-item-size BYTES"},
    {'S', "--enable-sasl", "SASL authentication", ""},
    {'F', "", "no flush_all", "--disable-flush-all"},
    {'X', "", "no dumping commands", "--disable-dumping"},
    {'Y', "--auth-file", "ASCII authentication", ""},
    {'e', "--memory-file", "item memory in a file, for warm restart", ""},
    {'Z', "--enable-ssl", "TLS", ""},
    {'o', "--extended",
     "extended options",
     "--temporary-ttl, --slab-automove, --slab-automove-ratio, --slab-automove-window, "
     "--idle-timeout, --no-lru-crawler or --no-lru-maintainer; its other options are not built"},
    {'N', "--napi_ids", "NAPI ids", ""},
}};

std::string refusal(std::string_view given, const MemcachedFlag& flag) {
  std::string text = "memcached's " + std::string(given) + " (" + std::string(flag.what) + "): ";
  if (flag.here.empty()) {
    return text + "not built in unbuckle-xdp";
  }
  return text + "use " + std::string(flag.here);
}

}  // namespace

std::optional<std::string> memcachedFlagRefusal(std::string_view argument) {
  if (argument.size() >= 2 && argument[0] == '-' && argument[1] != '-') {
    for (const MemcachedFlag& flag : kFlags) {
      if (flag.letter == argument[1]) {
        return refusal(argument.substr(0, 2), flag);
      }
    }
    return std::nullopt;
  }
  const std::string_view name = argument.substr(0, argument.find('='));
  for (const MemcachedFlag& flag : kFlags) {
    if (!flag.long_name.empty() && flag.long_name == name) {
      return refusal(name, flag);
    }
  }
  return std::nullopt;
}

}  // namespace unbuckle::config
