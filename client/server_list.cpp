// Parsing of pool entries and lists (include/unbuckle/client_servers.h).
#include "unbuckle/client_servers.h"

#include <charconv>
#include <string>

namespace unbuckle::client {
namespace {

constexpr std::string_view kBlanks = " \t";
constexpr std::string_view kForms =
    "write host[:port[:weight]], host:port weight or host:port:weight name";

std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

[[noreturn]] void refuse(std::string_view entry, const std::string& problem) {
  throw ServerListError("server \"" + std::string(entry) + "\": " + problem + "; " +
                        std::string(kForms));
}

// A decimal number in [1, max], digits only.
bool parseNumber(std::string_view text, uint32_t max, uint32_t& out) {
  if (text.empty() || text.size() > 10) return false;
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return false;
  if (value < 1 || value > max) return false;
  out = static_cast<uint32_t>(value);
  return true;
}

}  // namespace

ServerSpec parseServerSpec(std::string_view entry) {
  entry = trim(entry);
  if (entry.empty()) refuse(entry, "empty entry");

  // "address" is host[:port[:weight]]; "tail" what follows the first blank.
  const size_t blank = entry.find_first_of(kBlanks);
  const std::string_view address = entry.substr(0, blank);
  const std::string_view tail =
      blank == std::string_view::npos ? std::string_view() : trim(entry.substr(blank));
  if (tail.find_first_of(kBlanks) != std::string_view::npos) {
    refuse(entry, "more than one blank-separated word after the address");
  }

  ServerSpec spec;
  std::string_view rest;  // ":port[:weight]" or empty
  if (address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string_view::npos) refuse(entry, "'[' without ']'");
    spec.host = std::string(address.substr(1, close - 1));
    rest = address.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') refuse(entry, "expected ':' after ']'");
  } else {
    const size_t colon = address.find(':');
    spec.host = std::string(address.substr(0, colon));
    if (colon != std::string_view::npos) rest = address.substr(colon);
  }
  if (spec.host.empty()) refuse(entry, "no host");

  std::string_view portText;
  std::string_view weightText;
  bool hasWeight = false;
  if (!rest.empty()) {
    rest.remove_prefix(1);
    const size_t colon = rest.find(':');
    portText = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      weightText = rest.substr(colon + 1);
      hasWeight = true;
      if (weightText.find(':') != std::string_view::npos) {
        refuse(entry, "too many ':' (write an IPv6 address in brackets)");
      }
    }
    uint32_t port = 0;
    if (!parseNumber(portText, 65535, port)) {
      refuse(entry, "port \"" + std::string(portText) + "\" is not a number from 1 to 65535");
    }
    spec.port = static_cast<uint16_t>(port);
  }

  if (!tail.empty()) {
    if (hasWeight) {
      spec.name = std::string(tail);
    } else {
      weightText = tail;
      hasWeight = true;
    }
  }
  if (hasWeight && !parseNumber(weightText, kMaxServerWeight, spec.weight)) {
    refuse(entry, "weight \"" + std::string(weightText) + "\" is not a number from 1 to " +
                      std::to_string(kMaxServerWeight));
  }
  return spec;
}

std::vector<ServerSpec> parseServerList(std::string_view list) {
  std::vector<ServerSpec> servers;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string_view entry = list.substr(start, comma - start);
    if (trim(entry).empty()) {
      throw ServerListError("server list \"" + std::string(list) + "\": entry " +
                            std::to_string(servers.size() + 1) +
                            " is empty; separate entries by single commas");
    }
    servers.push_back(parseServerSpec(entry));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return servers;
}

}  // namespace unbuckle::client
