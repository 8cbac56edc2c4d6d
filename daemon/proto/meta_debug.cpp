// me <key> [b]: memcached's process_meta_command(), a debug dump of one
// item: ME <key> exp=<ttl left, -1 for none> la=<seconds since access>
// cas=<cas> fetch=<yes|no> cls=<slab class> size=<bytes>, or EN.
// cls and size describe this store's item, not memcached's.
#include "proto/base64.h"
#include "proto/commands.h"
#include "proto/item_lookup.h"
#include "proto/meta_flags.h"
#include "proto/reply_text.h"

namespace unbuckle::proto {

void processMetaDebug(CommandContext& ctx, const Tokens& tokens) {
  if (tokens.count() < 2 || tokens[1].size() > store::kMaxKeyLength) {
    ctx.reply(kBadFormat);
    return;
  }
  MetaKey key(tokens[1]);
  if (tokens.count() >= 3 && tokens[2] == "b" && !key.decode()) {
    ctx.reply(kBadFormat);
    return;
  }
  bump(ctx.stats.cmd_meta);
  ctx.store.access(key.view(), [&](store::Access& a) {
    const store::Item* it = lookupItem(a, ctx.stats);
    if (!it) {
      ctx.reply("EN\r\n");
      return;
    }
    const store::RelTime now = a.now();
    std::string shown_key;
    if (it->keyBinary()) {
      base64Encode(it->key(), shown_key);
    } else {
      shown_key = it->key();
    }
    ReplyLine line;
    line.add("ME ").add(shown_key).add(" exp=");
    // memcached prints (now - exptime) as a signed int: negative while live.
    line.addSigned(it->exptime() == 0 ? -1 : static_cast<int32_t>(now - it->exptime()));
    line.add(" la=").addNumber(static_cast<uint32_t>(now - it->lastAccess()));
    line.add(" cas=").addNumber(it->cas());
    line.add(it->fetched() ? " fetch=yes" : " fetch=no");
    line.add(" cls=").addNumber(it->slabClass());
    line.add(" size=").addNumber(it->totalSize());
    line.add("\r\n");
    ctx.reply(line.view());
  });
}

}  // namespace unbuckle::proto
