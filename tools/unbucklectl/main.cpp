// unbucklectl: controls a running unbuckle-xdp through its control socket
// (daemon/control/control_protocol.h): attach and detach interfaces, show
// its status and stats, change its log level, show and replace its allow list.
#include <sys/un.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>

#include "config/command_line.h"
#include "config/daemon_config.h"
#include "control/control_protocol.h"
#include "control_connection.h"
#include "parse_command_line.h"
#include "unbuckle/version.h"

namespace {

using namespace unbuckle;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitRefused = 2;
constexpr int kExitUnreachable = 3;

constexpr const char* kFooter =
    "Exit status: 0 done; 1 bad command line; 2 the daemon refused the request (its reason is\n"
    "printed: no such interface, already attached, bad log level, permission denied...); 3 the\n"
    "daemon could not be reached (not running, socket missing or not accessible, no answer).\n"
    "\n"
    "Permissions: the control socket has mode 0660 and the group of the daemon's\n"
    "--control-group (default: the daemon's own group). root, the daemon's user and the\n"
    "members of that group may use it; the daemon checks the caller's credentials too.";

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "unbucklectl: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path = config::DaemonConfig{}.control_socket;
  std::string interface;
  std::string queues;
  std::string xdp_mode;
  std::string zerocopy;
  bool json = false;
  std::string level;
  std::vector<std::string> networks;

  CLI::App app("unbucklectl: control a running unbuckle-xdp (memcached-compatible XDP server)\n"
               "through its control socket.",
               "unbucklectl");
  app.footer(kFooter);
  app.get_formatter()->column_width(30);
  app.set_version_flag("--version", "unbucklectl " UNBUCKLE_VERSION);
  app.add_option("--control-socket", socket_path, "The daemon's control socket (its --control-socket)")
      ->capture_default_str()
      ->type_name("PATH");
  app.require_subcommand(1);

  CLI::App* attach = app.add_subcommand(
      "attach", "Attach to IFACE and serve memcached UDP on it through XDP and AF_XDP, while the daemon runs "
                "(the daemon must run the xdp backend)");
  attach->add_option("IFACE", interface, "Network interface")->required();
  attach->add_option("--queues", queues, "Serve RX queues 0..N-1 [default: every RX queue]")->type_name("N");
  attach->add_option("--xdp-mode", xdp_mode, "XDP attach mode [default: the daemon's --xdp-mode]")
      ->type_name("auto|native|skb");
  attach->add_option("--zerocopy", zerocopy, "AF_XDP bind mode [default: the daemon's --zerocopy]")
      ->type_name("auto|on|off");
  attach->footer(kFooter);

  CLI::App* detach =
      app.add_subcommand("detach", "Stop serving IFACE: its workers stop, its XDP program and pins go; items stay "
                                   "(other interfaces keep serving)");
  detach->add_option("IFACE", interface, "Network interface")->required();
  detach->footer(kFooter);

  CLI::App* status = app.add_subcommand(
      "status", "Show version, uptime, memory, items, kernel-cache fill, and per attached interface its driver, "
                "XDP mode, AF_XDP copy or zero-copy, queues and the CPUs of their workers");
  status->footer(kFooter);

  CLI::App* stats = app.add_subcommand(
      "stats", "Show memcached's `stats` fields with the xdp_*, afxdp_* and kernel_cache_* counters");
  stats->add_flag("--json", json, "One JSON object; integer values as numbers, others as strings");
  stats->footer(kFooter);

  CLI::App* log_level = app.add_subcommand("log-level", "Change the daemon's log level while it runs");
  log_level->add_option("LEVEL", level, config::logLevelNames())->required();
  log_level->footer(kFooter);

  CLI::App* allow = app.add_subcommand(
      "allow", "Show the allow list (the sources memcached UDP is answered for), or replace it with CIDR...: "
               "in XDP new networks are added before old ones go, so no source outside old and new is ever let "
               "through; the file's list comes back at the next SIGHUP");
  allow->add_option("CIDR", networks, "Networks, e.g. 10.0.0.0/8 fd00::/8 192.0.2.7 (host)");
  allow->footer(kFooter);

  if (const std::optional<int> code = unbuckle::tools::parseCommandLine(app, argc, argv, kExitUsage)) return *code;
  if (socket_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return fail(kExitUsage, "--control-socket " + socket_path + " is longer than a Unix socket path may be");
  }

  // The line goes through the daemon's own parser first: what it would
  // refuse as malformed is a usage error here.
  std::string line = app.get_subcommands().front()->get_name();
  if (attach->parsed()) {
    line += " " + interface;
    if (!queues.empty()) line += " --queues " + queues;
    if (!xdp_mode.empty()) line += " --xdp-mode " + xdp_mode;
    if (!zerocopy.empty()) line += " --zerocopy " + zerocopy;
  } else if (detach->parsed()) {
    line += " " + interface;
  } else if (stats->parsed() && json) {
    line += " --json";
  } else if (log_level->parsed()) {
    if (!config::isLogLevel(level)) {
      return fail(kExitUsage, "no log level '" + level + "' (" + config::logLevelNames() + ")");
    }
    line += " " + level;
  } else if (allow->parsed()) {
    for (const std::string& network : networks) line += " " + network;
  }
  auto request = control::parseRequest(line);
  if (!request.ok()) return fail(kExitUsage, request.error());

  auto reply = ctl::exchange(socket_path, control::formatRequest(request.value()));
  if (!reply.ok()) return fail(kExitUnreachable, reply.error());
  if (reply.value().state == control::Reply::State::kError) return fail(kExitRefused, reply.value().text);
  std::fputs(reply.value().text.c_str(), stdout);
  return kExitOk;
}
