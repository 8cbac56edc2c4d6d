// Flags of the meta commands (mg, ms, md, ma), parsed as memcached 1.6.18's
// _meta_flag_preparse(): every flag is one token whose first character names
// it; a character seen twice is an error; `b` base64-decodes the key. Flags
// that only shape the reply (k, O, c, s, t, f, v, ...) are re-read from the
// tokens, in request order, when the reply is written.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/reply_text.h"
#include "proto/text_tokenizer.h"
#include "store/clock.h"
#include "store/store.h"

namespace unbuckle::proto {

// memcached's MFLAG_MAX_OPT_LENGTH (tokens, command and key included, plus
// its terminal token) and MFLAG_MAX_OPAQUE_LENGTH (the O included).
inline constexpr size_t kMaxMetaTokens = 20;
inline constexpr size_t kMaxOpaqueLength = 32;

struct MetaFlags {
  bool no_update = false;    // u
  bool locked = false;       // N, T, R, l, h: memcached delays the LRU bump
  bool vivify = false;       // N
  bool value = false;        // v
  bool set_stale = false;    // I
  bool no_reply = false;     // q
  bool has_cas = false;      // C
  bool new_ttl = false;      // T
  bool key_binary = false;   // b
  char mode = 0;             // M<mode>
  store::RelTime exptime = 0;           // T
  store::RelTime autoviv_exptime = 0;   // N
  store::RelTime recache_time = 0;      // R
  uint32_t client_flags = 0;            // F
  uint64_t cas = 0;                     // C
  uint64_t delta = 1;                   // D (ma)
  uint64_t initial = 0;                 // J (ma)
};

// The command's key, base64-decoded when `b` is given.
class MetaKey {
 public:
  explicit MetaKey(std::string_view token) : key_(token) {}
  std::string_view view() const { return key_; }
  // Decodes in place of the token; false (and an empty key) on bad base64.
  bool decode();

 private:
  std::array<char, store::kMaxKeyLength> decoded_{};
  std::string_view key_;
};

// Parses tokens[first..]; returns an empty view or the error line (with
// "\r\n"). A malformed F value has no message of its own: it reports the
// last other error, or "bad command line format".
std::string_view parseMetaFlags(const Tokens& tokens, size_t first, MetaFlags& flags,
                                MetaKey& key, const store::Clock& clock);

// " k<key>", or " k<base64 key> b" for a binary key.
void appendMetaKey(ReplyLine& line, std::string_view key, bool binary);

}  // namespace unbuckle::proto
