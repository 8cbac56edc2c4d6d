#include "proto/meta_flags.h"

#include "proto/base64.h"
#include "proto/exptime.h"
#include "proto/number_parse.h"

namespace unbuckle::proto {

bool MetaKey::decode() {
  const size_t length = base64Decode(key_, decoded_.data());
  key_ = std::string_view(decoded_.data(), length);
  return length != 0;
}

std::string_view parseMetaFlags(const Tokens& tokens, size_t first, MetaFlags& f, MetaKey& key,
                                const store::Clock& clock) {
  std::string_view error;
  bool has_error = false;
  std::array<bool, 127> seen{};
  auto fail = [&](std::string_view line) {
    error = line;
    has_error = true;
  };
  // T, N and R carry a protocol exptime.
  auto exptime = [&](std::string_view token, store::RelTime& out) {
    int32_t value = 0;
    if (!parseI32(token.substr(1), value)) {
      fail("CLIENT_ERROR bad token in command line format\r\n");
      return false;
    }
    out = exptimeToRelTime(value, clock);
    return true;
  };

  for (size_t i = first; i < tokens.count(); ++i) {
    const std::string_view token = tokens[i];
    const auto name = static_cast<unsigned char>(token[0]);
    if (name >= seen.size() || seen[name]) return "CLIENT_ERROR duplicate flag\r\n";
    seen[name] = true;
    switch (name) {
      case 'b':
        if (!key.decode()) fail("CLIENT_ERROR error decoding key\r\n");
        f.key_binary = true;
        break;
      case 'N':
        f.locked = true;
        f.vivify = true;
        exptime(token, f.autoviv_exptime);
        break;
      case 'T':
        f.locked = true;
        if (exptime(token, f.exptime)) f.new_ttl = true;
        break;
      case 'R':
        f.locked = true;
        exptime(token, f.recache_time);
        break;
      case 'l':
      case 'h':
        f.locked = true;
        break;
      case 'O':
      case 'P':
      case 'L':
      case 'k':
      case 's':
      case 't':
      case 'c':
      case 'f':
        break;
      case 'v':
        f.value = true;
        break;
      case 'u':
        f.no_update = true;
        break;
      case 'q':
        f.no_reply = true;
        break;
      case 'F':
        // memcached sets no message here: the caller's default stays.
        if (!parseU32(token.substr(1), f.client_flags)) has_error = true;
        break;
      case 'C':
        if (parseU64(token.substr(1), f.cas)) {
          f.has_cas = true;
        } else {
          fail("CLIENT_ERROR bad token in command line format\r\n");
        }
        break;
      case 'M':
        if (token.size() != 2) {
          fail("CLIENT_ERROR incorrect length for M token\r\n");
        } else {
          f.mode = token[1];
        }
        break;
      case 'J':
        if (!parseU64(token.substr(1), f.initial)) {
          fail("CLIENT_ERROR invalid numeric initial value\r\n");
        }
        break;
      case 'D':
        if (!parseU64(token.substr(1), f.delta)) fail("CLIENT_ERROR invalid numeric delta value\r\n");
        break;
      case 'I':
        f.set_stale = true;
        break;
      default:
        return "CLIENT_ERROR invalid flag\r\n";
    }
  }
  if (!has_error) return {};
  return error.empty() ? kBadFormat : error;
}

void appendMetaKey(ReplyLine& line, std::string_view key, bool binary) {
  line.add(" k");
  if (!binary) {
    line.add(key);
    return;
  }
  std::string encoded;
  base64Encode(key, encoded);
  line.add(encoded).add(" b");
}

}  // namespace unbuckle::proto
