// ketama_placement DISTRIBUTION SERVER... < keys
// Prints "KEY INDEX" for each key read from stdin (one a line), INDEX being
// the position among the SERVERs of the server the client library's ketama
// continuum places KEY on. For ketama_placement.py, which compares it with
// where pylibmc and twemproxy put the same keys.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "ketama.h"

int main(int argc, char** argv) {
  using namespace unbuckle::client;
  if (argc < 3) {
    std::cerr << "usage: ketama_placement DISTRIBUTION SERVER... < keys (one a line)\n";
    return 1;
  }
  try {
    std::vector<ServerSpec> servers;
    for (int i = 2; i < argc; ++i) servers.push_back(parseServerSpec(argv[i]));
    const Continuum continuum(servers, parseDistribution(argv[1]));
    std::string key;
    while (std::getline(std::cin, key)) std::cout << key << ' ' << continuum.serverIndex(key) << '\n';
  } catch (const std::exception& e) {
    std::cerr << "ketama_placement: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
