// Meta commands (mg, ms, md, ma, mn) as the client sends them: one reading
// of a command line, which ServerClient checks before sending it and a Pool
// places by its key.
#pragma once

#include <string_view>
#include <vector>

namespace unbuckle::client {

// The words of a line, split at spaces: a meta command, or its reply.
std::vector<std::string_view> words(std::string_view line);

struct MetaCommand {
  std::string_view name;                // "mg", "ms"...; empty for an empty line
  std::string_view key;                 // empty when the line has no second word
  std::vector<std::string_view> flags;  // the words after the key

  bool hasFlag(std::string_view flag) const;
};

MetaCommand splitMetaCommand(std::string_view line);

// Throws std::invalid_argument unless `command` (read from `line`) is mg,
// ms, md, ma or mn, with a key memcached can carry, and not in quiet mode
// (q): the client matches one reply per request.
void checkMetaCommand(const MetaCommand& command, std::string_view line);

// The key of "mg foo v", "ms foo 3 T60", "md foo"..., which places the
// command on a server of a pool. Throws std::invalid_argument for a command
// that names no key ("mn", or nothing after the command's name), and for a
// base64 key (flag b): the pool would place it by its encoded text, not by
// the key that other clients hash.
std::string_view metaKey(std::string_view line);

}  // namespace unbuckle::client
