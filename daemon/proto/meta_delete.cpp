// md <key> <flags>*: memcached's process_mdelete_command().
//
// Replies HD (hidden by q), NF or EX (cas mismatch), followed by the O and
// k flags. With I the item is not removed but marked stale: new cas, win
// token cleared, TTL from T if given.
#include <optional>

#include "proto/commands.h"
#include "proto/item_lookup.h"
#include "proto/meta_flags.h"
#include "proto/reply_text.h"

namespace unbuckle::proto {

bool openMetaMutation(CommandContext& ctx, const Tokens& tokens, MetaFlags& flags,
                      std::optional<MetaKey>& key) {
  if (tokens.count() < 2) {
    ctx.reply(kError);
    return false;
  }
  if (tokens[1].size() > store::kMaxKeyLength) {
    ctx.reply(kBadFormat);
    return false;
  }
  if (tokens.count() + 1 > kMaxMetaTokens) {
    ctx.reply("CLIENT_ERROR options flags too long\r\n");
    return false;
  }
  key.emplace(tokens[1]);
  if (!parseMetaFlags(tokens, 2, flags, *key, ctx.clock()).empty()) {
    ctx.replyError("CLIENT_ERROR invalid or duplicate flag\r\n");
    return false;
  }
  ctx.noreply = flags.no_reply;
  return true;
}

void processMetaDelete(CommandContext& ctx, const Tokens& tokens) {
  MetaFlags f;
  std::optional<MetaKey> key;
  if (!openMetaMutation(ctx, tokens, f, key)) {
    return;
  }
  ReplyLine returned;   // the O and k flags, after the status code
  for (size_t i = 2; i < tokens.count(); ++i) {
    const std::string_view token = tokens[i];
    if (token[0] == 'O') {
      if (token.size() > kMaxOpaqueLength) {
        ctx.replyError("CLIENT_ERROR opaque token too long\r\n");
        return;
      }
      returned.add(" ").add(token);
    } else if (token[0] == 'k') {
      appendMetaKey(returned, key->view(), f.key_binary);
    }
  }

  const std::string_view status = ctx.store.access(key->view(), [&](store::Access& a) {
    store::Item* it = lookupItem(a, ctx.stats);
    if (!it || (f.has_cas && it->cas() != f.cas)) {
      bump(ctx.stats.delete_misses);
      return std::string_view(it ? "EX" : "NF");
    }
    if (f.set_stale) {
      if (f.new_ttl) a.setExptime(f.exptime);
      it->setStale(true);
      it->setWinTokenSent(false);
      a.setCas(0);
    } else {
      bump(ctx.stats.delete_hits);
      bump(ctx.stats.slabClass(it->slabClass()).delete_hits);
      a.unlink();
    }
    return std::string_view("HD");
  });

  ReplyLine line;
  line.add(status).add(returned.view()).add("\r\n");
  if (status == "HD") {
    ctx.reply(line.view());
  } else {
    ctx.send(line.view());
  }
}

}  // namespace unbuckle::proto
