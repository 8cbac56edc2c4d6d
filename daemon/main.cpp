// unbuckle-xdp: reads flags and config file, builds store, engine and the
// datapaths (UDP through AF_XDP or kernel sockets, TCP through kernel
// sockets), serves until SIGTERM or SIGINT, then stops cleanly. SIGHUP
// reloads the config file (service/config_reload.h).
// Exit codes: 0 clean stop, 1 bad flag or config, 2 environment refused.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "afxdp/afxdp_backend.h"
#include "afxdp/interface_datapath.h"
#include "afxdp/interface_info.h"
#include "config/command_line.h"
#include "control/control_server.h"
#include "control/running_daemon.h"
#include "kernel_cache/kernel_cache_maps.h"
#include "kernel_cache/kernel_cache_stats.h"
#include "kernel_cache/mirror.h"
#include "proto/engine.h"
#include "proto/stats.h"
#include "service/allow_list_keeper.h"
#include "service/config_reload.h"
#include "service/daemon_logger.h"
#include "service/systemd_notifier.h"
#include "socket/socket_server.h"
#include "store/clock.h"
#include "store/store.h"
#include "udp/allow_list.h"
#include "xdp/allow_list_maps.h"
#include "unbuckle/version.h"

namespace {

using namespace unbuckle;

constexpr int kExitBadConfig = 1;
constexpr int kExitRefused = 2;

// The maintenance thread: memcached's LRU crawler and LRU maintainer. Each
// interval the maintainer reclaims the dead items at the LRU tails (counted
// as `reclaimed`), the crawler walks the LRUs for expired and flushed items
// (`crawler_reclaimed`) so their memory returns before the LRU reaches
// them, and the maintainer's automover sends pages to where the sets are
// (`slabs automove`). With the kernel cache it also folds the GET hits XDP
// served into their items, so a key read only through XDP stays warm.
constexpr auto kCrawlInterval = std::chrono::seconds(1);
constexpr size_t kCrawlBudget = 20000;   // items checked per interval

// `lru_crawler disable` pauses the walk, not the maintainer (as memcached's
// maintainer goes on without its crawler); --no-lru-maintainer stops the
// maintainer for good, as memcached -o no_lru_maintainer.
void maintain(std::stop_token stop, store::Store& store, proto::RuntimeSettings& settings,
              bool lru_maintainer, kernel_cache::Mirror* mirror) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  while (!stop.stop_requested()) {
    wake.wait_for(lock, stop, kCrawlInterval, [] { return false; });
    if (stop.stop_requested()) break;
    if (mirror) mirror->sweepHits(store);
    if (lru_maintainer) store.reclaimTails(kCrawlBudget);
    // `lru_crawler crawl` asks for every class at once (a disabled crawler
    // drops what was asked, as memcached's stopped thread does).
    const uint32_t requested = settings.crawls_pending.load(std::memory_order_relaxed);
    if (settings.lru_crawler.load(std::memory_order_relaxed)) {
      store.crawl(requested != 0 ? SIZE_MAX : kCrawlBudget);
    }
    settings.crawls_pending.fetch_sub(requested, std::memory_order_relaxed);
    if (lru_maintainer && !stop.stop_requested()) store.movePages();
  }
}

std::string portText(uint16_t port) { return port == 0 ? "off" : std::to_string(port); }

// The kernel cache: maps shared by the program of every interface, kept in
// step with the store by the mirror.
struct KernelCache {
  std::unique_ptr<kernel_cache::KernelCacheMaps> maps;
  std::unique_ptr<kernel_cache::Mirror> mirror;
};

Result<KernelCache> startKernelCache(const config::DaemonConfig& config, const store::Clock& clock) {
  auto maps = kernel_cache::KernelCacheMaps::create(config.kernel_cache_entries);
  if (!maps.ok()) return maps.failure();
  KernelCache cache;
  cache.maps = std::move(maps.value());
  const kernel_cache::KernelCacheMaps& m = *cache.maps;
  auto mirror = kernel_cache::Mirror::create(kernel_cache::MirrorMemory{m.slots(), m.hits(), m.state(), m.entries()},
                                             clock);
  if (!mirror.ok()) return mirror.failure();
  cache.mirror = std::move(mirror.value());
  spdlog::info("kernel cache: {} entries, {:.1f} MiB of kernel memory (and reply budgets for {} sources); "
               "single-key GET hits of replies up to {} bytes answered by XDP",
               m.entries(), static_cast<double>(kernel_cache::KernelCacheMaps::memoryBytes(m.entries())) / (1 << 20),
               UNBUCKLE_KC_BUDGET_SOURCES, UNBUCKLE_KC_REPLY_MAX);
  return cache;
}

// Why the kernel cache is not used although --kernel-cache is on, or nothing.
std::string kernelCacheAbsence(const config::DaemonConfig& config) {
  if (!config.kernel_cache) return {};
  if (config.backend != config::Backend::kXdp) {
    return "kernel cache: not used by the socket backend (it needs XDP: --interface); every GET is served by "
           "the daemon";
  }
  if (config.port == 0) return "kernel cache: not used, UDP is off (--port 0)";
  return {};
}

int serve(const config::DaemonConfig& config, service::ConfigReload& reload) {
  const bool xdp = config.backend == config::Backend::kXdp;
  // The XDP backend's default: one thread per RX queue (AF_XDP workers, and
  // as many TCP workers).
  uint32_t threads = config.threads;
  if (xdp && threads == 0) {
    for (const std::string& interface : config.interfaces) {
      threads += afxdp::rxQueueCount(interface);
    }
    threads = std::max(threads, 1u);
  }
  // Blocked before any thread starts, so only sigwait() below sees them.
  sigset_t handled_signals;
  sigemptyset(&handled_signals);
  sigaddset(&handled_signals, SIGTERM);
  sigaddset(&handled_signals, SIGINT);
  sigaddset(&handled_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // First, so that a second daemon stops here, before it touches an interface.
  auto control = control::ControlServer::create({config.control_socket, config.control_group});
  if (!control.ok()) {
    spdlog::error(control.error());
    return kExitRefused;
  }

  store::SystemClock clock;
  store::StoreConfig store_config;
  store_config.memory_limit = size_t{config.memory_limit_mb} << 20;
  store_config.max_item_size = config.max_item_size;
  store_config.evictions = !config.disable_evictions;
  store_config.use_cas = !config.disable_cas;
  store_config.automove = config.slab_automove;
  store_config.automove_ratio = config.slab_automove_ratio;
  store_config.automove_window = config.slab_automove_window;
  if (auto honoured = store::Store::check(store_config); !honoured.ok()) {
    spdlog::error("--memory-limit {} / --max-item-size {}: {}", config.memory_limit_mb,
                  config.max_item_size, honoured.error());
    return kExitBadConfig;
  }

  // UDP through AF_XDP. The store's arena is ordinary memory, in no umem
  // (afxdp/umem_cost.h).
  const bool afxdp = xdp && config.port != 0;
  // The allow list: checked by XDP (its tries, shared by every interface's
  // program) and again by the UDP workers.
  auto allow_list = std::make_shared<udp::AllowList>(config.allow);
  std::unique_ptr<xdp::AllowListMaps> allow_maps;
  if (afxdp) {
    auto created = xdp::AllowListMaps::create(config.allow);
    if (!created.ok()) {
      spdlog::error(created.error());
      return kExitRefused;
    }
    allow_maps = std::move(created.value());
  }
  // Declared before the store, which may tell the mirror of its items until
  // it is destroyed.
  KernelCache kernel_cache;
  if (afxdp && config.kernel_cache) {
    auto started = startKernelCache(config, clock);
    if (!started.ok()) {
      spdlog::error(started.error());
      return kExitRefused;
    }
    kernel_cache = std::move(started.value());
  } else if (const std::string absence = kernelCacheAbsence(config); !absence.empty()) {
    spdlog::info(absence);
  }
  auto created_store = store::Store::create(store_config, clock);
  if (!created_store.ok()) {
    spdlog::error("cannot allocate {} MB of item memory: {}", config.memory_limit_mb, created_store.error());
    return kExitRefused;
  }
  std::unique_ptr<store::Store> store = std::move(created_store.value());
  if (kernel_cache.mirror) store->setObserver(kernel_cache.mirror.get());

  proto::StatsRegistry stats;
  proto::EngineConfig engine_config;
  engine_config.udp_port = config.port;
  engine_config.tcp_port = config.tcp_port;
  engine_config.max_connections = config.max_connections;
  engine_config.threads = threads;
  // Empty: every address, shown as memcached shows no -l (`inter NULL`).
  const std::string listen = config.listen_given ? config.listen : std::string();
  engine_config.listen = listen;
  engine_config.idle_timeout = config.idle_timeout;
  engine_config.flush_enabled = !config.disable_flush_all;
  engine_config.dump_enabled = !config.disable_dumping;
  engine_config.lru_crawler = !config.no_lru_crawler;
  engine_config.lru_maintainer = !config.no_lru_maintainer;
  engine_config.temporary_ttl = config.temporary_ttl;
  if (config.enable_shutdown) {
    // Process-directed, so that the sigwait() below receives it.
    engine_config.shutdown = [](bool graceful) {
      spdlog::info("shutdown{} command received", graceful ? " graceful" : "");
      kill(getpid(), SIGINT);
    };
  }
  proto::Engine engine(*store, engine_config, stats);

  net::SocketServerConfig server_config;
  server_config.listen = listen;
  // With XDP too: it passes what it does not steer (IPv4 fragments of a
  // request larger than one frame, IPv6 with extension headers), and a
  // kernel socket on the port answers those, as memcached would.
  server_config.udp_port = config.port;
  server_config.tcp_port = config.tcp_port;
  server_config.threads = threads;
  server_config.max_connections = config.max_connections;
  server_config.max_item_size = config.max_item_size;
  server_config.allow = allow_list;
  server_config.reply_budget = {config.udp_reply_rate, config.udp_reply_burst};
  server_config.udp_admin = config.udp_admin;
  server_config.udp_coalesce_replies = config.udp_coalesce_replies;
  server_config.idle_timeout = config.idle_timeout;
  // With --interface the AF_XDP workers are the ones that spin; the socket
  // workers then serve TCP and the UDP that XDP passes, and keep sleeping.
  server_config.busy_poll = config.busy_poll && !xdp;
  // As much for pending TCP buffers as for items (memcached allocates a
  // value being read from its -m memory).
  server_config.buffer_pool_bytes = size_t{config.memory_limit_mb} << 20;
  auto server = net::SocketServer::create(server_config, engine, stats);
  if (!server.ok()) {
    spdlog::error(server.error());
    return kExitRefused;
  }
  std::unique_ptr<afxdp::AfxdpBackend> backend;
  service::AllowListKeeper allow(allow_list, allow_maps.get(), [&backend] {
    std::vector<std::string> interfaces;
    if (backend) {
      for (const afxdp::InterfaceStatus& attached : backend->status()) interfaces.push_back(attached.interface);
    }
    return interfaces;
  });
  if (afxdp) {
    backend = std::make_unique<afxdp::AfxdpBackend>(
        engine, stats, allow_list, allow_maps->fds(),
        kernel_cache.maps ? std::optional(kernel_cache.maps->fds()) : std::nullopt);
    for (const std::string& interface : config.interfaces) {
      auto attached = backend->attach(afxdp::datapathOptions(config, interface));
      if (!attached.ok()) {
        spdlog::error(attached.error());
        return kExitRefused;
      }
      spdlog::info(attached.value());
      allow.warnIfExposed(interface);
    }
  }
  reload.setAllowChange([&allow](const std::vector<config::Cidr>& networks) {
    auto replaced = allow.replace(networks);
    if (replaced.ok()) {
      spdlog::info("reload: {}", replaced.value());
    } else {
      spdlog::error("reload: {}", replaced.error());
    }
  });
  if (backend) {
    reload.setInterfaceChange([&backend = *backend, &config, &allow](const std::vector<std::string>& before,
                                                            const std::vector<std::string>& after) {
      const auto log = [](Result<std::string> done) {
        if (done.ok()) {
          spdlog::info("reload: {}", done.value());
        } else {
          spdlog::error("reload: {}", done.error());
        }
      };
      for (const std::string& interface : before) {
        if (std::ranges::find(after, interface) == after.end()) log(backend.detach(interface));
      }
      for (const std::string& interface : after) {
        if (std::ranges::find(before, interface) == before.end()) {
          auto attached = backend.attach(afxdp::datapathOptions(config, interface));
          const bool served = attached.ok();
          log(std::move(attached));
          if (served) allow.warnIfExposed(interface);
        }
      }
    });
  }
  std::unique_ptr<kernel_cache::KernelCacheStats> kernel_cache_stats;
  if (kernel_cache.mirror) {
    auto xdp_counter = [&backend = *backend](uint32_t index) { return backend.xdpCounter(index); };
    kernel_cache_stats = std::make_unique<kernel_cache::KernelCacheStats>(
        stats, *kernel_cache.mirror, kernel_cache.maps->entries(), xdp_counter);
    // `stats detail on` counts every GET per key prefix: XDP pauses meanwhile.
    stats.prefixes().setChangeHook([&mirror = *kernel_cache.mirror](bool on) { mirror.setPaused(on); });
  }
  server.value()->start();
  control::RunningDaemon running(config, engine, stats, backend.get(), allow);
  control.value()->start(running);
  std::jthread crawler(maintain, std::ref(*store), std::ref(stats.settings()), !config.no_lru_maintainer,
                       kernel_cache.mirror.get());

  spdlog::info(
      "unbuckle-xdp " UNBUCKLE_VERSION " (memcached " UNBUCKLE_MEMCACHED_VERSION " protocol) serving: backend {}, listen {}, UDP port {}, "
      "TCP port {}, {} threads{}, memory {} MB, max item {} bytes, max connections {}{}",
      xdp ? "xdp" : "socket", listen.empty() ? "0.0.0.0 and ::" : listen, portText(config.port),
      portText(config.tcp_port),
      threads, config.busy_poll && !xdp ? " (busy-polling)" : "", config.memory_limit_mb, config.max_item_size,
      config.max_connections,
      config.config_file.empty() ? std::string() : ", config " + config.config_file);

  auto status = [&] {
    return fmt::format("serving: {} interfaces, {} items", backend ? backend->status().size() : 0,
                       store->stats().curr_items);
  };
  service::notifyReady(status());
  int received = 0;
  while (sigwait(&handled_signals, &received) == 0 && received == SIGHUP) {
    service::notifyReloading();
    reload.reload();
    service::notifyReady(status());
  }
  service::notifyStopping();
  spdlog::info("{}: stopping", strsignal(received));
  control.value()->stop();
  crawler.request_stop();
  crawler.join();
  server.value()->stop();
  kernel_cache_stats.reset();
  backend.reset();   // detaches XDP and removes the pins
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = config::parseCommandLine(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "unbuckle-xdp: %s\n", parsed.error().c_str());
    return kExitBadConfig;
  }
  const std::optional<config::DaemonConfig>& config = parsed.value().config;
  if (!config) {
    std::printf("%s\n", parsed.value().text.c_str());
    return 0;
  }
  spdlog::set_default_logger(service::makeDaemonLogger(service::stderrIsJournal()));
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  service::ConfigReload reload(argc, argv, *config);
  return serve(*config, reload);
}
