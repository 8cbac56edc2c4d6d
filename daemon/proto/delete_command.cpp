// delete <key> [0] [noreply]: memcached's process_delete_command(). The
// old hold time is accepted only as "0".
#include "proto/commands.h"
#include "proto/item_lookup.h"
#include "proto/reply_text.h"

namespace unbuckle::proto {

void processDelete(CommandContext& ctx, const Tokens& tokens) {
  if (tokens.count() > 2) {
    const bool hold_is_zero = tokens[2] == "0";
    ctx.noreply = tokens.back() == "noreply";
    const bool valid = (tokens.count() == 3 && (hold_is_zero || ctx.noreply)) ||
                       (tokens.count() == 4 && hold_is_zero && ctx.noreply);
    if (!valid) {
      ctx.reply(kDeleteUsage);
      return;
    }
  }
  const std::string_view key = tokens[1];
  if (key.size() > store::kMaxKeyLength) {
    ctx.reply(kBadFormat);
    return;
  }
  if (ctx.registry.prefixes().enabled()) ctx.registry.prefixes().recordDelete(key);
  const bool deleted = ctx.store.access(key, [&](store::Access& a) {
    store::Item* it = lookupItem(a, ctx.stats);
    if (!it) return false;
    bump(ctx.stats.delete_hits);
    bump(ctx.stats.slabClass(it->slabClass()).delete_hits);
    a.unlink();
    return true;
  });
  if (!deleted) bump(ctx.stats.delete_misses);
  ctx.reply(deleted ? kDeleted : kNotFound);
}

}  // namespace unbuckle::proto
