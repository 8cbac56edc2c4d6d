#include "config/command_line.h"

#include <arpa/inet.h>
#include <grp.h>
#include <net/if.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <algorithm>
#include <map>
#include <thread>

#include "config/memcached_flags.h"
#include "unbuckle/bpf_abi.h"
#include "unbuckle/version.h"

namespace unbuckle::config {
namespace {

const std::map<std::string, Backend> kBackends{{"xdp", Backend::kXdp},
                                               {"socket", Backend::kSocket}};
const std::map<std::string, XdpMode> kXdpModes{
    {"auto", XdpMode::kAuto}, {"native", XdpMode::kNative}, {"skb", XdpMode::kSkb}};
const std::map<std::string, ZeroCopy> kZeroCopyModes{
    {"auto", ZeroCopy::kAuto}, {"on", ZeroCopy::kOn}, {"off", ZeroCopy::kOff}};
const std::map<std::string, bool> kOnOff{{"on", true}, {"off", false}};
const std::vector<std::string> kLogLevels{"trace", "debug", "info",    "warn",
                                          "error", "critical", "off"};

// memcached refuses a slab_automove_window below 3; the cap keeps the
// window's slots (one per class per second) to a few MB.
constexpr uint32_t kMinAutomoveWindow = 3;
constexpr uint32_t kMaxAutomoveWindow = 3600;

// --kernel-cache-entries: at least one set of UNBUCKLE_KC_WAYS slots; at
// most 16 Mi slots (32 GiB of slots).
constexpr uint64_t kMinKernelCacheEntries = UNBUCKLE_KC_WAYS;
constexpr uint64_t kMaxKernelCacheEntries = uint64_t{1} << 24;

// memcached -I limits (ITEM_SIZE_MAX_LOWER_LIMIT, ITEM_SIZE_MAX_UPPER_LIMIT).
constexpr size_t kMinItemSize = 1024;
constexpr size_t kMaxItemSize = size_t{1} << 30;

// A validator from CLI11's library whose description stays out of --help.
template <typename V>
CLI::Validator quiet(V validator) {
  return validator.description("");
}

template <typename Value>
std::string nameOf(const std::map<std::string, Value>& names, Value value) {
  for (const auto& [name, v] : names) {
    if (v == value) {
      return name;
    }
  }
  return {};
}

std::string formatByteSize(size_t bytes) {
  if (bytes % (size_t{1} << 20) == 0) {
    return std::to_string(bytes >> 20) + "m";
  }
  if (bytes % 1024 == 0) {
    return std::to_string(bytes >> 10) + "k";
  }
  return std::to_string(bytes);
}

std::string join(const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) {
    joined += (joined.empty() ? "" : ",") + item;
  }
  return joined;
}

const CLI::Validator kAddress(
    [](std::string& text) -> std::string {
      unsigned char buffer[sizeof(in6_addr)];
      if (inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
          inet_pton(AF_INET6, text.c_str(), buffer) == 1) {
        return {};
      }
      return "'" + text + "' is not a numeric IPv4 or IPv6 address";
    },
    "");

const CLI::Validator kCidr(
    [](std::string& text) -> std::string {
      return Cidr::parse(text) ? std::string()
                               : "'" + text + "' is not an address prefix such as 10.0.0.0/8";
    },
    "");

const CLI::Validator kByteSize(
    [](std::string& text) -> std::string {
      const auto bytes = parseByteSize(text);
      if (!bytes) {
        return "'" + text + "' is not a size such as 1m, 512k or 2048";
      }
      if (*bytes < kMinItemSize || *bytes > kMaxItemSize) {
        return "'" + text + "' is outside 1k..1024m";
      }
      return {};
    },
    "");

// A size between `min` and `max` bytes (both written as `range`).
CLI::Validator byteSizeIn(size_t min, size_t max, const std::string& range) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        const auto bytes = parseByteSize(text);
        if (!bytes) {
          return "'" + text + "' is not a size such as 64m, 512k or 2048";
        }
        if (*bytes < min || *bytes > max) {
          return "'" + text + "' is outside " + range;
        }
        return {};
      },
      "");
}

// memcached's slab_automove_ratio: > 0 and at most 1.
const CLI::Validator kAutomoveRatio(
    [](std::string& text) -> std::string {
      double ratio = 0;
      const char* end = text.data() + text.size();
      const auto [rest, error] = std::from_chars(text.data(), end, ratio);
      if (rest == text.data() || rest != end || error != std::errc() || !(ratio > 0 && ratio <= 1)) {
        return "'" + text + "' is not a ratio above 0 and at most 1, such as 0.8";
      }
      return {};
    },
    "");

// Whole sets of UNBUCKLE_KC_WAYS slots, indexed by a mask of the hash.
const CLI::Validator kKernelCacheEntries(
    [](std::string& text) -> std::string {
      uint64_t entries = 0;
      const char* end = text.data() + text.size();
      const auto [rest, error] = std::from_chars(text.data(), end, entries);
      if (rest == text.data() || rest != end || error != std::errc() || entries < kMinKernelCacheEntries ||
          entries > kMaxKernelCacheEntries || (entries & (entries - 1)) != 0) {
        return "'" + text + "' is not a power of two from " + std::to_string(kMinKernelCacheEntries) + " to " +
               std::to_string(kMaxKernelCacheEntries);
      }
      return {};
    },
    "");

const CLI::Validator kInterfaceName(
    [](std::string& text) -> std::string {
      if (text.empty() || text.size() >= IFNAMSIZ ||
          text.find_first_of("/ \t") != std::string::npos) {
        return "'" + text + "' is not an interface name";
      }
      return {};
    },
    "");

const CLI::Validator kCpuList(
    [](std::string& text) -> std::string {
      return parseCpuList(text) ? std::string()
                                : "'" + text + "' is not a CPU list such as 0,2-3 (CPUs below " +
                                      std::to_string(kMaxCpus) + ")";
    },
    "");

// A group of the system's group database (getgrnam), checked at start-up
// so that a mistyped name stops the daemon before it serves.
const CLI::Validator kGroupName(
    [](std::string& text) -> std::string {
      return !text.empty() && getgrnam(text.c_str()) != nullptr
                 ? std::string()
                 : "no group named '" + text + "' (getent group lists them)";
    },
    "");

const CLI::Validator kAbsolutePath(
    [](std::string& text) -> std::string {
      return !text.empty() && text[0] == '/' ? std::string() : "'" + text + "' is not an absolute path";
    },
    "");

}  // namespace

bool isLogLevel(const std::string& level) {
  return std::find(kLogLevels.begin(), kLogLevels.end(), level) != kLogLevels.end();
}

std::string logLevelNames() {
  std::string names;
  for (const std::string& level : kLogLevels) {
    names += (names.empty() ? "" : ", ") + level;
  }
  return names;
}

std::optional<size_t> parseByteSize(const std::string& text) {
  size_t value = 0;
  const char* end = text.data() + text.size();
  const auto [rest, error] = std::from_chars(text.data(), end, value);
  if (rest == text.data() || error != std::errc() || end - rest > 1) {
    return std::nullopt;
  }
  unsigned shift = 0;
  if (rest != end) {
    switch (*rest) {
      case 'k': case 'K': shift = 10; break;
      case 'm': case 'M': shift = 20; break;
      case 'g': case 'G': shift = 30; break;
      default: return std::nullopt;
    }
  }
  if (value > (SIZE_MAX >> shift)) {
    return std::nullopt;
  }
  return value << shift;
}

std::optional<std::vector<uint32_t>> parseCpuList(const std::string& text) {
  std::vector<uint32_t> cpus;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p != end) {
    uint32_t first = 0;
    auto parsed = std::from_chars(p, end, first);
    if (parsed.ec != std::errc() || parsed.ptr == p) {
      return std::nullopt;
    }
    p = parsed.ptr;
    uint32_t last = first;
    if (p != end && *p == '-') {
      parsed = std::from_chars(p + 1, end, last);
      if (parsed.ec != std::errc() || parsed.ptr == p + 1 || last < first) {
        return std::nullopt;
      }
      p = parsed.ptr;
    }
    if (last >= kMaxCpus) {
      return std::nullopt;
    }
    for (uint32_t cpu = first; cpu <= last; ++cpu) {
      cpus.push_back(cpu);
    }
    if (p != end && (*p != ',' || ++p == end)) {
      return std::nullopt;
    }
  }
  if (cpus.empty()) {
    return std::nullopt;
  }
  return cpus;
}

Result<CommandLine> parseCommandLine(int argc, const char* const* argv,
                                     const std::string& default_config_path) {
  DaemonConfig config;
  // Flags whose text is converted after parsing start from the defaults in config.
  int port = config.port;
  int tcp_port = config.tcp_port;
  std::string backend;
  std::string max_item_size = formatByteSize(config.max_item_size);
  std::string xdp_mode = nameOf(kXdpModes, config.xdp_mode);
  std::string zerocopy = nameOf(kZeroCopyModes, config.zerocopy);
  std::string kernel_cache = nameOf(kOnOff, config.kernel_cache);
  std::vector<std::string> allow = kDefaultAllow;
  std::string cpus;
  std::string udp_reply_rate = formatByteSize(config.udp_reply_rate);
  std::string udp_reply_burst = formatByteSize(config.udp_reply_burst);
  std::string udp_admin = nameOf(kOnOff, config.udp_admin);
  std::string udp_coalesce_replies = nameOf(kOnOff, config.udp_coalesce_replies);

  CLI::App app(
      "unbuckle-xdp: a memcached-compatible key-value server. UDP is served by XDP/AF_XDP or\n"
      "by kernel sockets (--backend socket), TCP by kernel sockets. Every flag is also a key of\n"
      "the config file: `key = value`, one per line, the flag name without its dashes.",
      "unbuckle-xdp");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.get_formatter()->column_width(36);
  app.set_config("--config", default_config_path,
                 "Read settings from FILE (the default is read when present); flags override it")
      ->type_name("FILE");
  app.set_version_flag(
      "--version", "unbuckle-xdp " UNBUCKLE_VERSION " (memcached " UNBUCKLE_MEMCACHED_VERSION " protocol)");

  app.add_option("--interface", config.interfaces,
                 "Attach XDP to IFACE at start-up (repeatable; needs --backend xdp)")
      ->check(kInterfaceName)
      ->type_name("IFACE");
  app.add_option("--port", port,
                 "memcached UDP port (steered by XDP, or served by the socket backend); "
                 "0 disables UDP")
      ->check(quiet(CLI::Range(0, 65535)))
      ->capture_default_str()
      ->type_name("N");
  app.add_option("--tcp-port", tcp_port,
                 "memcached TCP port (kernel sockets); 0 disables TCP [default: --port]")
      ->check(quiet(CLI::Range(0, 65535)))
      ->type_name("N");
  app.add_option("--listen", config.listen,
                 "Address for TCP and for the kernel UDP sockets. Not given, 0.0.0.0 and :: "
                 "(every IPv4 and IPv6 address, as memcached without -l); given, that address "
                 "only: 0.0.0.0 is IPv4 only, :: IPv6 only (as memcached -l)")
      ->check(kAddress)
      ->capture_default_str()
      ->type_name("ADDR");
  app.add_option("--backend", backend,
                 "Datapath for UDP [default: xdp if an interface is given, else socket]")
      ->check(quiet(CLI::IsMember(kBackends)))
      ->type_name("xdp|socket");
  app.add_option("--threads", config.threads,
                 "Worker threads, 1..1024 [default: one per attached RX queue; socket "
                 "backend: nproc]. With --interface this is the number of TCP workers: every "
                 "RX queue always gets its own AF_XDP worker, since the requests a queue "
                 "without one receives would go to the kernel unanswered")
      ->check(quiet(CLI::Range(1, 1024)))
      ->type_name("N");
  app.add_option("--memory-limit", config.memory_limit_mb,
                 "Item memory in megabytes, LRU eviction beyond it (memcached -m); committed as "
                 "items land")
      ->check(quiet(CLI::Range(1, 1 << 20)))
      ->capture_default_str()
      ->type_name("MB");
  app.add_option("--max-item-size", max_item_size,
                 "Largest item, key and value included (memcached -I): 1k..1024m, "
                 "at most half of --memory-limit")
      ->check(kByteSize)
      ->capture_default_str()
      ->type_name("BYTES");
  app.add_flag("--disable-evictions", config.disable_evictions,
               "A set that finds memory full answers \"SERVER_ERROR out of memory storing "
               "object\" instead of evicting a live item; expired and flushed items are still "
               "reclaimed (memcached -M)");
  app.add_option("--slab-automove", config.slab_automove,
                 "Pages move between size classes in the background: 0 never (only `slabs "
                 "reassign` and sets short of memory move them), 1 memcached's automover, 2 a "
                 "page to every class that evicts; `slabs automove` changes it later "
                 "(memcached -o slab_automove)")
      ->check(quiet(CLI::Range(0, 2)))
      ->capture_default_str()
      ->type_name("0|1|2");
  app.add_option("--slab-automove-ratio", config.slab_automove_ratio,
                 "The automover gives a class a page of another only when the age of its "
                 "oldest item is below this share of the other's, above 0 and at most 1; "
                 "`slabs automove ratio` changes it later (memcached -o slab_automove_ratio)")
      ->check(kAutomoveRatio)
      ->default_str("0.8")
      ->type_name("RATIO");
  app.add_option("--slab-automove-window", config.slab_automove_window,
                 "Seconds of history the automover decides on: a class's free pages go to "
                 "the global pool after this many seconds without new pages or evictions, " +
                     std::to_string(kMinAutomoveWindow) + ".." + std::to_string(kMaxAutomoveWindow) +
                     " (memcached -o slab_automove_window)")
      ->check(quiet(CLI::Range(kMinAutomoveWindow, kMaxAutomoveWindow)))
      ->capture_default_str()
      ->type_name("SECONDS");
  app.add_option("--max-connections", config.max_connections,
                 "Concurrent TCP connections; beyond it a client gets \"ERROR Too many open "
                 "connections\" (memcached -c)")
      ->check(quiet(CLI::Range(1, 1 << 20)))
      ->capture_default_str()
      ->type_name("N");
  app.add_option("--idle-timeout", config.idle_timeout,
                 "Close a TCP connection that sends no command for longer than this, counted "
                 "as idle_kicks (memcached -o idle_timeout); 0: never")
      ->check(quiet(CLI::Range(0, 1 << 30)))
      ->capture_default_str()
      ->type_name("SECONDS");
  app.add_option("--xdp-mode", xdp_mode, "XDP attach mode")
      ->check(quiet(CLI::IsMember(kXdpModes)))
      ->capture_default_str()
      ->type_name("auto|native|skb");
  app.add_option("--zerocopy", zerocopy, "AF_XDP bind mode")
      ->check(quiet(CLI::IsMember(kZeroCopyModes)))
      ->capture_default_str()
      ->type_name("auto|on|off");
  app.add_option("--cpus", cpus,
                 "CPUs for the AF_XDP workers: the worker of RX queue i runs on the i-th CPU of "
                 "the list (from the start again when the list is shorter) [default: not pinned]")
      ->check(kCpuList)
      ->type_name("LIST");
  app.add_flag("--busy-poll", config.busy_poll,
               "Workers spin instead of sleeping: the AF_XDP workers in poll(), or with --backend socket "
               "the socket workers in epoll_wait() (lower latency, one core each)");
  app.add_option("--kernel-cache", kernel_cache,
                 "Serve single-key GET hits from the BPF map in XDP")
      ->check(quiet(CLI::IsMember(kOnOff)))
      ->capture_default_str()
      ->type_name("on|off");
  app.add_option("--kernel-cache-entries", config.kernel_cache_entries,
                 "Kernel cache slots, a power of two from " + std::to_string(kMinKernelCacheEntries) + " to " +
                     std::to_string(kMaxKernelCacheEntries) + "; each takes 2 KiB and 16 B of kernel memory")
      ->check(kKernelCacheEntries)
      ->capture_default_str()
      ->type_name("N");
  app.add_option("--allow", allow,
                 "Source addresses that may use UDP (repeatable; replaces the default list). XDP "
                 "drops memcached UDP from any other source; SIGHUP or `unbucklectl allow` "
                 "replace the list while serving")
      ->check(kCidr)
      ->default_str(join(kDefaultAllow))
      ->type_name("CIDR");
  app.add_option("--udp-reply-rate", udp_reply_rate,
                 "UDP reply bytes per second each source address may draw (a token bucket per "
                 "worker, and one in XDP for kernel-cache hits; over it requests are dropped and "
                 "counted in udp_dropped_over_budget): 1k..64g")
      ->check(byteSizeIn(size_t{1} << 10, size_t{64} << 30, "1k..64g"))
      ->capture_default_str()
      ->type_name("BYTES");
  app.add_option("--udp-reply-burst", udp_reply_burst,
                 "Depth of each source's bucket of UDP reply bytes: what an idle source may "
                 "draw at once: 1k..1g")
      ->check(byteSizeIn(size_t{1} << 10, UNBUCKLE_REPLY_BURST_MAX, "1k..1g"))
      ->capture_default_str()
      ->type_name("BYTES");
  app.add_option("--udp-admin", udp_admin,
                 "Run stats, flush_all, verbosity, shutdown, lru_crawler, watch and me over UDP "
                 "too (off: refused with CLIENT_ERROR; TCP always runs them)")
      ->check(quiet(CLI::IsMember(kOnOff)))
      ->capture_default_str()
      ->type_name("on|off");
  app.add_option("--udp-coalesce-replies", udp_coalesce_replies,
                 "Send the small responses of one UDP request (a multi-get's values) together "
                 "in one datagram, as memcached 1.5 did (off: one message per response, "
                 "byte for byte as memcached 1.6)")
      ->check(quiet(CLI::IsMember(kOnOff)))
      ->capture_default_str()
      ->type_name("on|off");
  app.add_option("--control-socket", config.control_socket,
                 "Unix socket of unbucklectl (attach, detach, status, stats, log-level): made "
                 "at start-up with mode 0660 (its directory too when missing), removed at a "
                 "clean stop; refused when another daemon listens on it")
      ->check(kAbsolutePath)
      ->capture_default_str()
      ->type_name("PATH");
  app.add_option("--control-group", config.control_group,
                 "Group of the control socket: besides root and the daemon's user, its members "
                 "may use unbucklectl [default: the daemon's own group]")
      ->check(kGroupName)
      ->type_name("GROUP");
  app.add_option("--pin-path", config.pin_path, "Directory of pinned BPF maps")
      ->check(kAbsolutePath)
      ->capture_default_str()
      ->type_name("DIR");
  app.add_option("--log-level", config.log_level, "Log level: " + join(kLogLevels))
      ->check(quiet(CLI::IsMember(kLogLevels)))
      ->capture_default_str()
      ->type_name("LEVEL");
  app.add_flag("--disable-dumping", config.disable_dumping,
               "Refuse `stats cachedump` and `lru_crawler metadump` (memcached -X)");
  app.add_flag("--enable-shutdown", config.enable_shutdown,
               "Let the `shutdown` command stop the daemon, as SIGINT does (memcached -A)");
  app.add_flag("--disable-flush-all", config.disable_flush_all,
               "Refuse `flush_all` (memcached -F)");
  app.add_flag("--disable-cas", config.disable_cas,
               "Items carry no cas: gets and mg show 0, cas answers EXISTS, a flush_all also "
               "drops the sets of its own second, values may be 8 bytes longer (memcached -C)");
  app.add_flag("--no-lru-crawler", config.no_lru_crawler,
               "Start with the LRU crawler (background reclaim of expired items) disabled, "
               "as `lru_crawler disable` does; `lru_crawler enable` starts it (memcached -o "
               "no_lru_crawler)");
  app.add_flag("--no-lru-maintainer", config.no_lru_maintainer,
               "No LRU maintainer: neither expired items at the LRU tails nor pages of free "
               "chunks (`slabs automove`) are reclaimed in the background any more, only when a "
               "set needs the memory; `lru mode` and `lru temp_ttl` answer ERROR (memcached -o "
               "no_lru_maintainer)");
  app.add_option("--temporary-ttl", config.temporary_ttl,
                 "Items stored with a TTL of at most SECONDS go to their size class's temporary "
                 "LRU, which is never evicted to make room, only reclaimed once expired "
                 "(memcached -o temporary_ttl; `lru temp_ttl` changes it at run time). Unset: "
                 "no temporary LRU")
      ->check(quiet(CLI::Range(0, INT32_MAX)))
      ->type_name("SECONDS");
  app.add_option("--debug-fixed-reply", config.debug_fixed_reply,
                 "Benchmark ceiling only (tools/bench.sh): the AF_XDP workers answer every "
                 "memcached UDP request with the same GET hit of BYTES value bytes, without "
                 "parsing it or touching the store")
      ->check(quiet(CLI::Range(0, 1 << 20)))
      ->type_name("BYTES");

  for (int i = 1; i < argc; ++i) {
    if (auto refusal = memcachedFlagRefusal(argv[i])) {
      return Error{*refusal};
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return CommandLine{std::nullopt, app.help()};
  } catch (const CLI::CallForVersion& e) {
    return CommandLine{std::nullopt, e.what()};
  } catch (const CLI::ConfigError& e) {
    return Error{"config file " + app.get_config_ptr()->as<std::string>() + ": " + e.what()};
  } catch (const CLI::ParseError& e) {
    return Error{e.what()};
  }

  if (app.get_config_ptr()->count() > 0) {
    config.config_file = app.get_config_ptr()->as<std::string>();
  }
  config.listen_given = app.count("--listen") > 0;
  config.port = static_cast<uint16_t>(port);
  config.tcp_port = static_cast<uint16_t>(app.count("--tcp-port") > 0 ? tcp_port : port);
  if (backend.empty()) {
    config.backend = config.interfaces.empty() ? Backend::kSocket : Backend::kXdp;
  } else {
    config.backend = kBackends.at(backend);
  }
  config.max_item_size = *parseByteSize(max_item_size);
  config.xdp_mode = kXdpModes.at(xdp_mode);
  config.zerocopy = kZeroCopyModes.at(zerocopy);
  config.kernel_cache = kOnOff.at(kernel_cache);
  config.udp_reply_rate = *parseByteSize(udp_reply_rate);
  config.udp_reply_burst = *parseByteSize(udp_reply_burst);
  config.udp_admin = kOnOff.at(udp_admin);
  config.udp_coalesce_replies = kOnOff.at(udp_coalesce_replies);
  if (!cpus.empty()) {
    config.cpus = *parseCpuList(cpus);
  }
  config.allow.clear();
  for (const std::string& text : allow) {
    config.allow.push_back(*Cidr::parse(text));
  }

  if (config.backend == Backend::kSocket && !config.interfaces.empty()) {
    return Error{"--interface needs --backend xdp"};
  }
  if (!config.cpus.empty() && config.backend != Backend::kXdp) {
    return Error{"--cpus needs the xdp backend (--interface)"};
  }
  if (config.debug_fixed_reply && config.backend != Backend::kXdp) {
    return Error{"--debug-fixed-reply needs the xdp backend (--interface)"};
  }
  for (const int family : {AF_INET, AF_INET6}) {
    const auto networks = std::ranges::count_if(config.allow, [family](const Cidr& c) { return c.family() == family; });
    if (config.backend == Backend::kXdp && networks > UNBUCKLE_ALLOW_MAX) {
      return Error{"--allow lists " + std::to_string(networks) + (family == AF_INET ? " IPv4" : " IPv6") +
                   " networks; XDP takes at most " + std::to_string(UNBUCKLE_ALLOW_MAX) +
                   " of each family (merge them into wider prefixes)"};
    }
  }
  if (config.temporary_ttl && config.no_lru_maintainer) {
    return Error{"--temporary-ttl needs the LRU maintainer: drop --no-lru-maintainer"};
  }
  if (config.port == 0 && config.tcp_port == 0) {
    return Error{"--port and --tcp-port are both 0: nothing to serve"};
  }
  if (config.max_item_size > (config.memory_limit_mb << 20) / 2) {
    return Error{"--max-item-size " + max_item_size + " is more than half of --memory-limit " +
                 std::to_string(config.memory_limit_mb) + " (MB)"};
  }
  if (config.threads == 0 && config.backend == Backend::kSocket) {
    config.threads = std::max(1u, std::thread::hardware_concurrency());
  }
  return CommandLine{std::move(config), {}};
}

}  // namespace unbuckle::config
