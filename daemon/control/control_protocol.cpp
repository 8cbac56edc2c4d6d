#include "control/control_protocol.h"

#include <net/if.h>

#include <array>
#include <charconv>
#include <utility>
#include <vector>

namespace unbuckle::control {
namespace {

constexpr uint32_t kMaxQueues = 1024;
constexpr std::string_view kEnd = "END\n";

const std::array<std::pair<std::string_view, config::XdpMode>, 3> kXdpModes{
    {{"auto", config::XdpMode::kAuto}, {"native", config::XdpMode::kNative}, {"skb", config::XdpMode::kSkb}}};
const std::array<std::pair<std::string_view, config::ZeroCopy>, 3> kZeroCopyModes{
    {{"auto", config::ZeroCopy::kAuto}, {"on", config::ZeroCopy::kOn}, {"off", config::ZeroCopy::kOff}}};

template <typename Value, size_t N>
std::optional<Value> valueNamed(const std::array<std::pair<std::string_view, Value>, N>& names,
                                std::string_view name) {
  for (const auto& [n, value] : names) {
    if (n == name) return value;
  }
  return std::nullopt;
}

template <typename Value, size_t N>
std::string_view nameOf(const std::array<std::pair<std::string_view, Value>, N>& names, Value value) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return {};
}

std::vector<std::string_view> splitWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start < line.size()) {
    const size_t begin = line.find_first_not_of(" \t", start);
    if (begin == std::string_view::npos) break;
    const size_t end = std::min(line.find_first_of(" \t", begin), line.size());
    words.push_back(line.substr(begin, end - begin));
    start = end;
  }
  return words;
}

bool isInterfaceName(std::string_view name) {
  return !name.empty() && name.size() < IFNAMSIZ && name.find_first_of("/:") == std::string_view::npos;
}

Result<std::string> interfaceArgument(const std::vector<std::string_view>& words) {
  if (words.size() < 2) return Error{std::string(words[0]) + " needs an interface name"};
  if (!isInterfaceName(words[1])) {
    return Error{"'" + std::string(words[1]) + "' is not an interface name"};
  }
  return std::string(words[1]);
}

Result<Request> parseAttach(const std::vector<std::string_view>& words) {
  auto interface = interfaceArgument(words);
  if (!interface.ok()) return interface.failure();
  AttachRequest request;
  request.interface = interface.value();
  for (size_t i = 2; i < words.size(); i += 2) {
    const std::string option(words[i]);
    if (i + 1 == words.size()) return Error{"attach: " + option + " needs a value"};
    const std::string_view value = words[i + 1];
    if (option == "--queues") {
      uint32_t queues = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), queues);
      if (error != std::errc() || end != value.data() + value.size() || queues < 1 || queues > kMaxQueues) {
        return Error{"attach: --queues needs a number from 1 to " + std::to_string(kMaxQueues)};
      }
      request.queues = queues;
    } else if (option == "--xdp-mode") {
      request.xdp_mode = valueNamed(kXdpModes, value);
      if (!request.xdp_mode) return Error{"attach: --xdp-mode is auto, native or skb"};
    } else if (option == "--zerocopy") {
      request.zero_copy = valueNamed(kZeroCopyModes, value);
      if (!request.zero_copy) return Error{"attach: --zerocopy is auto, on or off"};
    } else {
      return Error{"attach: unknown option '" + option + "' (--queues, --xdp-mode, --zerocopy)"};
    }
  }
  return Request{std::move(request)};
}

Result<Request> parseWords(const std::vector<std::string_view>& words) {
  const std::string_view command = words[0];
  const auto extra = [&](size_t allowed) -> std::optional<Error> {
    if (words.size() <= allowed) return std::nullopt;
    return Error{std::string(command) + ": unexpected '" + std::string(words[allowed]) + "'"};
  };
  if (command == "attach") return parseAttach(words);
  if (command == "detach") {
    auto interface = interfaceArgument(words);
    if (!interface.ok()) return interface.failure();
    if (auto error = extra(2)) return *error;
    return Request{DetachRequest{interface.value()}};
  }
  if (command == "status") {
    if (auto error = extra(1)) return *error;
    return Request{StatusRequest{}};
  }
  if (command == "stats") {
    const bool json = words.size() > 1 && words[1] == "--json";
    if (auto error = extra(json ? 2 : 1)) return *error;
    return Request{StatsRequest{json}};
  }
  if (command == "log-level") {
    if (words.size() < 2) return Error{"log-level needs a level"};
    if (auto error = extra(2)) return *error;
    return Request{LogLevelRequest{std::string(words[1])}};
  }
  if (command == "allow") {
    AllowRequest request;
    for (size_t i = 1; i < words.size(); ++i) {
      const auto network = config::Cidr::parse(words[i]);
      if (!network) {
        return Error{"allow: '" + std::string(words[i]) +
                     "' is not a network (ADDR/LEN or ADDR, IPv4 or IPv6, no host bits set)"};
      }
      request.networks.push_back(*network);
    }
    return Request{std::move(request)};
  }
  return Error{"unknown command '" + std::string(command) + "' (attach, detach, status, stats, log-level, allow)"};
}

}  // namespace

Result<Request> parseRequest(std::string_view line) {
  if (line.size() > kMaxRequestLine) {
    return Error{"request longer than " + std::to_string(kMaxRequestLine) + " bytes"};
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::vector<std::string_view> words = splitWords(line);
  if (words.empty()) return Error{"empty request"};
  return parseWords(words);
}

std::string formatRequest(const Request& request) {
  struct Formatter {
    std::string operator()(const AttachRequest& r) const {
      std::string line = "attach " + r.interface;
      if (r.queues) line += " --queues " + std::to_string(*r.queues);
      if (r.xdp_mode) line += " --xdp-mode " + std::string(nameOf(kXdpModes, *r.xdp_mode));
      if (r.zero_copy) line += " --zerocopy " + std::string(nameOf(kZeroCopyModes, *r.zero_copy));
      return line;
    }
    std::string operator()(const DetachRequest& r) const { return "detach " + r.interface; }
    std::string operator()(const StatusRequest&) const { return "status"; }
    std::string operator()(const StatsRequest& r) const { return r.json ? "stats --json" : "stats"; }
    std::string operator()(const LogLevelRequest& r) const { return "log-level " + r.level; }
    std::string operator()(const AllowRequest& r) const {
      std::string line = "allow";
      for (const config::Cidr& network : r.networks) line += " " + network.toString();
      return line;
    }
  };
  return std::visit(Formatter{}, request) + "\n";
}

std::string okReply(std::string_view body) {
  std::string reply = "OK\n";
  reply += body;
  if (!body.empty() && body.back() != '\n') reply += '\n';
  reply += kEnd;
  return reply;
}

std::string errorReply(std::string_view message) {
  std::string reply = "ERROR ";
  for (const char c : message) reply += (c == '\n' || c == '\r') ? ' ' : c;
  reply += '\n';
  return reply;
}

Reply parseReply(std::string_view received) {
  Reply reply;
  const size_t first_end = received.find('\n');
  if (first_end == std::string_view::npos) {
    // A first line that is neither OK nor ERROR so far is already wrong.
    const bool could_be = std::string_view("OK").starts_with(received.substr(0, 2)) ||
                          std::string_view("ERROR ").starts_with(received.substr(0, 6));
    reply.state = could_be ? Reply::State::kIncomplete : Reply::State::kMalformed;
    return reply;
  }
  const std::string_view first = received.substr(0, first_end);
  if (first.starts_with("ERROR ")) {
    reply.state = Reply::State::kError;
    reply.text = std::string(first.substr(6));
    reply.length = first_end + 1;
    return reply;
  }
  if (first != "OK") {
    reply.state = Reply::State::kMalformed;
    return reply;
  }
  // The body ends at the first line that is "END" alone.
  size_t line_start = first_end + 1;
  while (true) {
    const size_t line_end = received.find('\n', line_start);
    if (line_end == std::string_view::npos) return reply;   // incomplete
    if (received.substr(line_start, line_end - line_start) == "END") {
      reply.state = Reply::State::kOk;
      reply.text = std::string(received.substr(first_end + 1, line_start - first_end - 1));
      reply.length = line_end + 1;
      return reply;
    }
    line_start = line_end + 1;
  }
}

}  // namespace unbuckle::control
