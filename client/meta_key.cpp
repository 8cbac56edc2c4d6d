#include "client/meta_key.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace unbuckle::client {

std::string_view metaKey(std::string_view command) {
  std::string_view words[2];
  size_t count = 0;
  bool base64 = false;
  size_t position = 0;
  while (position < command.size()) {
    const size_t end = std::min(command.find(' ', position), command.size());
    const std::string_view word = command.substr(position, end - position);
    position = end + 1;
    if (word.empty()) continue;
    if (count < 2) {
      words[count++] = word;
    } else if (word == "b") {
      base64 = true;
    }
  }
  if (count < 2) {
    throw std::invalid_argument("'" + std::string(command) +
                                "' names no key, so no server of the pool: send it to one, pool.server(i).meta()");
  }
  if (base64) {
    throw std::invalid_argument("'" + std::string(command) +
                                "': a base64 key (flag b) would be placed by its encoded text, not as other clients "
                                "place the key; send it to the key's server, pool.server(i).meta()");
  }
  return words[1];
}

}  // namespace unbuckle::client
