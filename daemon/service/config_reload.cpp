#include "service/config_reload.h"

#include <spdlog/spdlog.h>

#include <string_view>

namespace unbuckle::service {

namespace {

using config::DaemonConfig;

// A setting the daemon reads only at start-up, by its config-file key.
struct StartupSetting {
  const char* key;
  const char* why;  // why it is not applied now
  bool (*same)(const DaemonConfig&, const DaemonConfig&);
  void (*assign)(DaemonConfig& to, const DaemonConfig& from);
};

template <auto member>
constexpr StartupSetting startup(const char* key, const char* why = "read at start-up only") {
  return {key, why, [](const DaemonConfig& a, const DaemonConfig& b) { return a.*member == b.*member; },
          [](DaemonConfig& to, const DaemonConfig& from) { to.*member = from.*member; }};
}

// Every field of DaemonConfig but log_level.
constexpr StartupSetting kStartupSettings[] = {
    startup<&DaemonConfig::interfaces>("interface", "applied at run time only by the xdp backend"),
    startup<&DaemonConfig::allow>("allow"),
    startup<&DaemonConfig::port>("port"),
    startup<&DaemonConfig::tcp_port>("tcp-port"),
    startup<&DaemonConfig::listen>("listen"),
    startup<&DaemonConfig::listen_given>("listen"),
    startup<&DaemonConfig::backend>("backend"),
    startup<&DaemonConfig::threads>("threads"),
    startup<&DaemonConfig::memory_limit_mb>("memory-limit"),
    startup<&DaemonConfig::max_item_size>("max-item-size"),
    startup<&DaemonConfig::disable_evictions>("disable-evictions"),
    startup<&DaemonConfig::slab_automove>("slab-automove"),
    startup<&DaemonConfig::slab_automove_ratio>("slab-automove-ratio"),
    startup<&DaemonConfig::slab_automove_window>("slab-automove-window"),
    startup<&DaemonConfig::max_connections>("max-connections"),
    startup<&DaemonConfig::idle_timeout>("idle-timeout"),
    startup<&DaemonConfig::xdp_mode>("xdp-mode"),
    startup<&DaemonConfig::zerocopy>("zerocopy"),
    startup<&DaemonConfig::busy_poll>("busy-poll"),
    startup<&DaemonConfig::cpus>("cpus"),
    startup<&DaemonConfig::kernel_cache>("kernel-cache"),
    startup<&DaemonConfig::kernel_cache_entries>("kernel-cache-entries"),
    startup<&DaemonConfig::control_socket>("control-socket"),
    startup<&DaemonConfig::pin_path>("pin-path"),
    startup<&DaemonConfig::disable_dumping>("disable-dumping"),
    startup<&DaemonConfig::enable_shutdown>("enable-shutdown"),
    startup<&DaemonConfig::disable_flush_all>("disable-flush-all"),
    startup<&DaemonConfig::disable_cas>("disable-cas"),
    startup<&DaemonConfig::no_lru_crawler>("no-lru-crawler"),
    startup<&DaemonConfig::no_lru_maintainer>("no-lru-maintainer"),
    startup<&DaemonConfig::temporary_ttl>("temporary-ttl"),
    startup<&DaemonConfig::debug_fixed_reply>("debug-fixed-reply"),
    startup<&DaemonConfig::config_file>("config"),
};

}  // namespace

void ConfigReload::reload() {
  auto parsed = config::parseCommandLine(argc_, argv_);
  if (!parsed.ok() || !parsed.value().config) {
    spdlog::error("reload: {}; nothing changed", parsed.ok() ? parsed.value().text : parsed.error());
    return;
  }
  const DaemonConfig& wanted = *parsed.value().config;
  if (wanted.log_level != running_.log_level) {
    spdlog::set_level(spdlog::level::from_str(wanted.log_level));
    spdlog::info("reload: log-level {} (was {})", wanted.log_level, running_.log_level);
    running_.log_level = wanted.log_level;
  }
  if (apply_allow_) {
    apply_allow_(wanted.allow);
    running_.allow = wanted.allow;
  }
  if (apply_interfaces_ && wanted.interfaces != running_.interfaces) {
    apply_interfaces_(running_.interfaces, wanted.interfaces);
    running_.interfaces = wanted.interfaces;
  }
  // What is left different once every named setting is copied over: a field
  // this table misses, still reported rather than silently ignored.
  DaemonConfig unnamed = wanted;
  unnamed.log_level = running_.log_level;
  std::string_view reported;  // "listen" is two fields
  for (const StartupSetting& setting : kStartupSettings) {
    if (!setting.same(running_, wanted) && setting.key != reported) {
      spdlog::warn("reload: {} changed but is {}; restart the daemon to apply it", setting.key, setting.why);
      reported = setting.key;
    }
    setting.assign(unnamed, running_);
  }
  if (unnamed != running_) spdlog::warn("reload: a setting changed that is read at start-up only; restart to apply it");
  spdlog::info("reload: done");
}

}  // namespace unbuckle::service
