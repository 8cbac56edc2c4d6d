#include "client/meta_command.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "client/memcached_key.h"

namespace unbuckle::client {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t position = 0;
  while (position < line.size()) {
    const size_t end = std::min(line.find(' ', position), line.size());
    if (end > position) out.push_back(line.substr(position, end - position));
    position = end + 1;
  }
  return out;
}

bool MetaCommand::hasFlag(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

MetaCommand splitMetaCommand(std::string_view line) {
  const std::vector<std::string_view> all = words(line);
  MetaCommand command;
  if (!all.empty()) command.name = all[0];
  if (all.size() > 1) command.key = all[1];
  if (all.size() > 2) command.flags.assign(all.begin() + 2, all.end());
  return command;
}

void checkMetaCommand(const MetaCommand& command, std::string_view line) {
  const std::string_view name = command.name;
  if (!(name == "mg" || name == "ms" || name == "md" || name == "ma" || name == "mn")) {
    throw std::invalid_argument("'" + std::string(line) + "' is not a meta command (mg, ms, md, ma, mn)");
  }
  if (!command.key.empty()) checkKey(command.key);
  if (command.hasFlag("q")) {
    throw std::invalid_argument("meta quiet mode (q) is not supported: the client matches one reply per request");
  }
}

std::string_view metaKey(std::string_view line) {
  const MetaCommand command = splitMetaCommand(line);
  if (command.key.empty()) {
    throw std::invalid_argument("'" + std::string(line) +
                                "' names no key, so no server of the pool: send it to one, pool.server(i).meta()");
  }
  if (command.hasFlag("b")) {
    throw std::invalid_argument("'" + std::string(line) +
                                "': a base64 key (flag b) would be placed by its encoded text, not as other clients "
                                "place the key; send it to the key's server, pool.server(i).meta()");
  }
  return command.key;
}

}  // namespace unbuckle::client
