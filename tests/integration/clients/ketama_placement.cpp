// ketama_placement [--dead=I]... DISTRIBUTION SERVER... < keys
// Prints "KEY INDEX" for each key read from stdin (one a line), INDEX being
// the position among the SERVERs of the server the client library's ketama
// continuum places KEY on; --dead=I leaves the I-th server (from 0) out as
// an ejected one. For ketama_placement.py, which compares it with where
// pylibmc, php-memcached and twemproxy put the same keys.
#include <charconv>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ketama.h"

int main(int argc, char** argv) {
  using namespace unbuckle::client;
  constexpr std::string_view kDead = "--dead=";
  int arg = 1;
  std::vector<size_t> dead;
  try {
    for (; arg < argc && std::string_view(argv[arg]).starts_with(kDead); ++arg) {
      const std::string_view text = std::string_view(argv[arg]).substr(kDead.size());
      size_t index = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), index);
      if (error != std::errc() || end != text.data() + text.size()) {
        throw std::invalid_argument(std::string(argv[arg]) + ": not a server index (0 is the first SERVER)");
      }
      dead.push_back(index);
    }
    if (argc - arg < 2) {
      std::cerr << "usage: ketama_placement [--dead=I]... DISTRIBUTION SERVER... < keys (one a line)\n";
      return 1;
    }
    const Distribution distribution = parseDistribution(argv[arg]);
    std::vector<ServerSpec> servers;
    for (int i = arg + 1; i < argc; ++i) servers.push_back(parseServerSpec(argv[i]));
    std::vector<bool> live(servers.size(), true);
    for (size_t index : dead) {
      if (index >= servers.size()) {
        throw std::invalid_argument("--dead=" + std::to_string(index) + ": there are " +
                                    std::to_string(servers.size()) + " SERVERs, the first is 0");
      }
      live[index] = false;
    }
    const Continuum continuum(servers, distribution, live);
    std::string key;
    while (std::getline(std::cin, key)) std::cout << key << ' ' << continuum.serverIndex(key) << '\n';
  } catch (const std::exception& e) {
    std::cerr << "ketama_placement: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
