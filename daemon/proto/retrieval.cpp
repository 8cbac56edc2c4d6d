// get, gets, gat, gats: memcached's process_get_command().
//
// Response objects: memcached starts one per key, so over UDP every key is
// its own message (a miss that is not the last key is an empty response,
// see ResponseStream); "END\r\n" rides on the last one. A key over 250
// bytes stops the command: nothing of it is sent but CLIENT_ERROR (the keys
// before it were still looked up, bumped and counted).
#include "proto/commands.h"
#include "proto/exptime.h"
#include "proto/item_lookup.h"
#include "proto/number_parse.h"
#include "proto/reply_text.h"

namespace unbuckle::proto {

namespace {

class GetCommand {
 public:
  GetCommand(CommandContext& ctx, bool return_cas, bool touch, store::RelTime exptime, bool emit)
      : ctx_(ctx), return_cas_(return_cas), touch_(touch), exptime_(exptime), emit_(emit) {}

  // Looks one key up; `final` marks the last key of the command, whose
  // response also carries END. Returns whether END was appended.
  bool fetch(std::string_view key, bool final) {
    return ctx_.store.access(key, [&](store::Access& a) {
      store::Item* it = lookupItem(a, ctx_.stats);
      count(it);
      if (ctx_.registry.prefixes().enabled()) ctx_.registry.prefixes().recordGet(key, it != nullptr);
      if (!it) return false;
      if (touch_) a.setExptime(exptime_);
      a.bump();
      if (!emit_) return false;
      appendValue(*it, final);
      return final;
    });
  }

  void endResponse() {
    if (emit_) ctx_.out.endResponse();
  }
  void appendEnd() {
    if (emit_) ctx_.out.append(kEnd);
  }

 private:
  void count(const store::Item* it) {
    WorkerStats& s = ctx_.stats;
    if (touch_) {
      bump(s.cmd_touch);
      if (it) {
        bump(s.touch_hits);
        bump(s.slabClass(it->slabClass()).touch_hits);
      } else {
        bump(s.touch_misses);
      }
      return;
    }
    bump(s.cmd_get);
    if (it) {
      bump(s.get_hits);
      bump(s.slabClass(it->slabClass()).get_hits);
      if (it->temporary()) bump(s.slabClass(it->slabClass()).temp_lru_hits);
    } else {
      bump(s.get_misses);
    }
  }

  // "VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n", cut from the
  // item's pre-built reply; a plain get of the last key sends it whole.
  void appendValue(const store::Item& it, bool final) {
    std::string_view reply = it.reply();
    if (!final) reply.remove_suffix(kEnd.size());
    if (!return_cas_) {
      ctx_.out.append(reply);
      return;
    }
    const std::string_view header = it.header();
    ReplyLine line;
    line.add(header).add(" ").addNumber(it.cas()).add("\r\n");
    ctx_.out.append(line.view());
    ctx_.out.append(reply.substr(header.size() + 2));
  }

  CommandContext& ctx_;
  const bool return_cas_;
  const bool touch_;
  const store::RelTime exptime_;
  const bool emit_;
};

bool hasOverlongKey(const Tokens& tokens, size_t first) {
  Tokens next;
  const Tokens* batch = &tokens;
  for (size_t i = first;; i = 0) {
    for (; i < batch->count(); ++i) {
      if ((*batch)[i].size() > store::kMaxKeyLength) return true;
    }
    if (!batch->hasRest()) return false;
    next = tokenize(batch->rest());
    batch = &next;
  }
}

}  // namespace

void processGet(CommandContext& ctx, const Tokens& tokens, bool return_cas, bool touch) {
  size_t first = 1;
  store::RelTime exptime = 0;
  if (touch) {
    int32_t exptime_arg = 0;
    if (!parseI32(tokens[1], exptime_arg)) {
      ctx.reply(kInvalidExptime);
      return;
    }
    exptime = exptimeToRelTime(exptime_arg, ctx.clock());
    first = 2;
  }

  const bool refused = hasOverlongKey(tokens, first);
  GetCommand get(ctx, return_cas, touch, exptime, !refused);
  bool end_sent = false;
  Tokens next;
  const Tokens* batch = &tokens;
  for (size_t i = first;; i = 0) {
    for (; i < batch->count(); ++i) {
      const std::string_view key = (*batch)[i];
      if (key.size() > store::kMaxKeyLength) {
        ctx.reply(kBadFormat);
        return;
      }
      const bool more_in_batch = i + 1 < batch->count();
      end_sent = get.fetch(key, !more_in_batch && !batch->hasRest());
      if (more_in_batch) get.endResponse();
    }
    if (!batch->hasRest()) break;
    // memcached splits the rest of a long line and starts a new response.
    get.endResponse();
    next = tokenize(batch->rest());
    batch = &next;
  }
  if (!end_sent) get.appendEnd();
  get.endResponse();
  ctx.out.flush();   // memcached writes out its queue after every get
}

}  // namespace unbuckle::proto
