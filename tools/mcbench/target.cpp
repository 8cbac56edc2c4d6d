#include "mcbench/target.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <net/route.h>

#include <bit>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace unbuckle::mcbench {

namespace {

struct Route {
  std::string interface;
  uint32_t destination = 0;  // as the kernel prints it: the network-order word in host order
  uint32_t gateway = 0;
  uint32_t flags = 0;
  uint32_t mask = 0;
};

bool parseHex(const std::string& token, uint32_t& out) {
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), out, 16);
  return ec == std::errc() && ptr == token.data() + token.size();
}

std::vector<Route> parseRoutes(std::string_view text) {
  std::vector<Route> routes;
  std::istringstream lines{std::string(text)};
  std::string line;
  std::getline(lines, line);  // column titles
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    Route route;
    std::string destination, gateway, flags, refcnt, use, metric, mask;
    if (!(fields >> route.interface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask)) continue;
    if (!parseHex(destination, route.destination) || !parseHex(gateway, route.gateway) ||
        !parseHex(flags, route.flags) || !parseHex(mask, route.mask)) {
      continue;
    }
    if (route.flags & RTF_UP) routes.push_back(route);
  }
  return routes;
}

}  // namespace

sockaddr_in Endpoint::sockaddr() const {
  sockaddr_in out{};
  out.sin_family = AF_INET;
  out.sin_addr = address;
  out.sin_port = htons(port);
  return out;
}

std::string Endpoint::str() const {
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &address, text, sizeof(text));
  return fmt::format("{}:{}", text, port);
}

Target parseTarget(std::string_view text) {
  Target target;
  std::string_view address = text;
  if (const size_t equals = text.find('='); equals != std::string_view::npos) {
    target.name = std::string(text.substr(0, equals));
    address = text.substr(equals + 1);
    if (target.name.empty()) throw std::invalid_argument(fmt::format("target '{}': empty name before '='", text));
  }
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    throw std::invalid_argument(fmt::format("target '{}': expected [NAME=]HOST:PORT", text));
  }
  std::string host(address.substr(0, colon));
  const std::string_view port_text = address.substr(colon + 1);
  if (host == "localhost") host = "127.0.0.1";
  if (inet_pton(AF_INET, host.c_str(), &target.endpoint.address) != 1) {
    throw std::invalid_argument(fmt::format("target '{}': '{}' is not an IPv4 address", text, host));
  }
  unsigned port = 0;
  const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    throw std::invalid_argument(fmt::format("target '{}': bad port '{}'", text, port_text));
  }
  target.endpoint.port = static_cast<uint16_t>(port);
  if (target.name.empty()) target.name = std::string(address);
  return target;
}

RouteVerdict checkRoute(in_addr address, std::string_view proc_net_route) {
  const uint32_t target = address.s_addr;
  if ((ntohl(target) >> 24) == 127) return RouteVerdict{true, "loopback"};

  const std::vector<Route> routes = parseRoutes(proc_net_route);
  std::set<std::string> default_interfaces;
  for (const Route& route : routes) {
    if (route.mask == 0) default_interfaces.insert(route.interface);
  }
  const Route* best = nullptr;
  for (const Route& route : routes) {
    if ((target & route.mask) != route.destination) continue;
    if (!best || std::popcount(route.mask) > std::popcount(best->mask)) best = &route;
  }
  if (!best) return RouteVerdict{false, "no route to it"};
  if (best->mask == 0)
    return RouteVerdict{false, fmt::format("only the default route (via {}) reaches it", best->interface)};
  if (best->flags & RTF_GATEWAY)
    return RouteVerdict{false, fmt::format("it is reached through a gateway on {}", best->interface)};
  if (default_interfaces.contains(best->interface)) {
    return RouteVerdict{false, fmt::format("it is on {}, the interface of the default route", best->interface)};
  }
  return RouteVerdict{true, fmt::format("directly connected on {}", best->interface)};
}

RouteVerdict checkTargetAllowed(in_addr address) {
  std::ifstream file("/proc/net/route");
  std::ostringstream text;
  text << file.rdbuf();
  return checkRoute(address, text.str());
}

}  // namespace unbuckle::mcbench
