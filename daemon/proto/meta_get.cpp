// mg <key> <flags>*: memcached's process_mget_command().
//
//   hit:  VA <size> <flags>*\r\n<data>\r\n   (with v)   or   HD <flags>*\r\n
//   miss: EN <O and k flags>\r\n   (hidden by q)
//
// Return flags are written in request order; T changes the TTL where it
// stands, so `t T30` reports the old one. Z (a win token was already sent),
// X (stale) and W (this client won the right to recache) come last.
#include "proto/commands.h"
#include "proto/item_lookup.h"
#include "proto/meta_flags.h"
#include "proto/reply_text.h"

namespace unbuckle::proto {

namespace {

enum class MetaGetOutcome { kHit, kMiss, kOpaqueTooLong };

constexpr std::string_view kOpaqueTooLong = "CLIENT_ERROR opaque token too long\r\n";

// Counts a hit as memcached does: a TTL change makes it a touch.
void countHit(WorkerStats& stats, const store::Item& it, bool ttl_set) {
  SlabClassCounters& cls = stats.slabClass(it.slabClass());
  if (ttl_set) {
    bump(stats.cmd_touch);
    bump(stats.touch_hits);
    bump(cls.touch_hits);
  } else {
    bump(stats.cmd_get);
    bump(stats.get_hits);
    bump(cls.get_hits);
    if (it.temporary()) bump(cls.temp_lru_hits);
  }
}

}  // namespace

void processMetaGet(CommandContext& ctx, const Tokens& tokens) {
  if (tokens.count() < 2) {
    ctx.reply(kError);
    return;
  }
  if (tokens[1].size() > store::kMaxKeyLength) {
    ctx.replyError(kBadFormat);
    return;
  }
  if (tokens.count() + 1 > kMaxMetaTokens) {
    ctx.replyError("CLIENT_ERROR options flags are too long\r\n");
    return;
  }
  MetaFlags f;
  MetaKey key(tokens[1]);
  if (const std::string_view error = parseMetaFlags(tokens, 2, f, key, ctx.clock());
      !error.empty()) {
    ctx.replyError(error);
    return;
  }
  ctx.noreply = f.no_reply;

  const MetaGetOutcome outcome = ctx.store.access(key.view(), [&](store::Access& a) {
    store::Item* it = lookupItem(a, ctx.stats);
    bool created = false;
    if (!it && f.vivify) {
      // N: an empty item for the first client to miss, who gets W.
      const store::Allocation fresh = a.allocate(0, 0, 0);
      if (fresh.item) {
        a.link(fresh.item);
        it = a.item();
        created = true;
      }
    }
    if (!it) return MetaGetOutcome::kMiss;

    const store::RelTime now = a.now();
    ReplyLine line;
    if (f.value) {
      line.add("VA ").addNumber(it->valueLength());
    } else {
      line.add("HD");
    }
    bool won = false;
    bool ttl_set = false;
    for (size_t i = 2; i < tokens.count(); ++i) {
      const std::string_view token = tokens[i];
      switch (token[0]) {
        case 'T':
          ttl_set = true;
          a.setExptime(f.exptime);
          break;
        case 'N':
          if (created) {
            a.setExptime(f.autoviv_exptime);
            won = true;
          }
          break;
        case 'R':
          // A TTL below the recache threshold: the first to see it recaches.
          if (!it->winTokenSent() && !created && it->exptime() != 0 &&
              it->exptime() < f.recache_time) {
            won = true;
          }
          break;
        case 's':
          line.add(" s").addNumber(it->valueLength());
          break;
        case 't':
          line.add(" t");
          if (it->exptime() == 0) {
            line.add("-1");
          } else {
            line.addNumber(static_cast<uint32_t>(it->exptime() - now));
          }
          break;
        case 'c':
          line.add(" c").addNumber(it->cas());
          break;
        case 'f':
          line.add(" f").addNumber(it->flags());
          break;
        case 'l':
          line.add(" l").addNumber(static_cast<uint32_t>(now - it->lastAccess()));
          break;
        case 'h':
          line.add(it->fetched() ? " h1" : " h0");
          break;
        case 'O':
          if (token.size() > kMaxOpaqueLength) return MetaGetOutcome::kOpaqueTooLong;
          line.add(" ").add(token);
          break;
        case 'k':
          appendMetaKey(line, it->key(), it->keyBinary());
          break;
        default:
          break;
      }
    }
    if (it->winTokenSent()) line.add(" Z");
    if (it->stale()) {
      line.add(" X");
      if (!it->winTokenSent()) won = true;
    }
    if (won) {
      line.add(" W");
      it->setWinTokenSent(true);
    }
    line.add("\r\n");
    // After the flags, so h and l report the state before this fetch.
    if (!f.no_update) a.bump();
    countHit(ctx.stats, *it, ttl_set);

    // q hides only misses.
    ctx.out.append(line.view());
    if (f.value) ctx.out.append(it->reply().substr(it->header().size() + 2, it->valueLength() + 2));
    ctx.out.endResponse();
    return MetaGetOutcome::kHit;
  });

  if (outcome == MetaGetOutcome::kHit) return;
  if (outcome == MetaGetOutcome::kOpaqueTooLong) {
    ctx.replyError(kOpaqueTooLong);
    return;
  }
  bump(ctx.stats.get_misses);
  bump(ctx.stats.cmd_get);
  ReplyLine line;
  line.add("EN");
  for (size_t i = 2; i < tokens.count(); ++i) {
    const std::string_view token = tokens[i];
    if (token[0] == 'O') {
      if (token.size() > kMaxOpaqueLength) {
        ctx.replyError(kOpaqueTooLong);
        return;
      }
      line.add(" ").add(token);
    } else if (token[0] == 'k') {
      appendMetaKey(line, key.view(), f.key_binary);
    }
  }
  line.add("\r\n");
  ctx.reply(line.view());
}

}  // namespace unbuckle::proto
