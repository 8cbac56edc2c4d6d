// touch <key> <exptime> [noreply]: memcached's process_touch_command().
#include "proto/commands.h"
#include "proto/exptime.h"
#include "proto/item_lookup.h"
#include "proto/number_parse.h"
#include "proto/reply_text.h"

namespace unbuckle::proto {

void processTouch(CommandContext& ctx, const Tokens& tokens) {
  ctx.noreply = tokens.back() == "noreply";
  const std::string_view key = tokens[1];
  if (key.size() > store::kMaxKeyLength) {
    ctx.reply(kBadFormat);
    return;
  }
  int32_t exptime_arg = 0;
  if (!parseI32(tokens[2], exptime_arg)) {
    ctx.reply(kInvalidExptime);
    return;
  }
  const store::RelTime exptime = exptimeToRelTime(exptime_arg, ctx.clock());
  const bool touched = ctx.store.access(key, [&](store::Access& a) {
    store::Item* it = lookupItem(a, ctx.stats);
    if (!it) return false;
    a.bump();
    a.setExptime(exptime);
    bump(ctx.stats.touch_hits);
    bump(ctx.stats.slabClass(it->slabClass()).touch_hits);
    return true;
  });
  bump(ctx.stats.cmd_touch);
  if (!touched) bump(ctx.stats.touch_misses);
  ctx.reply(touched ? kTouched : kNotFound);
}

}  // namespace unbuckle::proto
