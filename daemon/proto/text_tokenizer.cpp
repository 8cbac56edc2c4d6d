#include "proto/text_tokenizer.h"

namespace unbuckle::proto {

Tokens tokenize(std::string_view line) {
  Tokens t;
  size_t start = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] != ' ') continue;
    if (i > start) {
      t.tokens_[t.count_++] = line.substr(start, i - start);
      if (t.count_ == Tokens::kMaxTokens) {
        // memcached stops here; the remainder (even if only spaces) is
        // split again by whoever needs it.
        t.rest_ = line.substr(i + 1);
        t.has_rest_ = !t.rest_.empty();
        return t;
      }
    }
    start = i + 1;
  }
  if (start < line.size()) t.tokens_[t.count_++] = line.substr(start);
  return t;
}

}  // namespace unbuckle::proto
