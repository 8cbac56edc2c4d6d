#include "proto/arithmetic.h"

#include <charconv>
#include <cstring>

#include "proto/command_context.h"
#include "proto/commands.h"
#include "proto/item_lookup.h"
#include "proto/number_parse.h"
#include "proto/reply_text.h"

namespace unbuckle::proto {

DeltaOutcome applyDelta(store::Access& a, WorkerStats& stats, bool incr, uint64_t delta,
                        uint64_t cas) {
  DeltaOutcome out;
  store::Item* it = lookupItem(a, stats);
  if (!it) {
    out.result = DeltaResult::kNotFound;
    return out;
  }
  if (it->valueLength() == 0) {
    out.result = DeltaResult::kNonNumeric;
    return out;
  }
  if (cas != 0 && it->cas() != cas) {
    out.result = DeltaResult::kCasMismatch;
    return out;
  }
  uint64_t value = 0;
  if (!parseU64(it->value(), value)) {
    out.result = DeltaResult::kNonNumeric;
    return out;
  }
  if (incr) {
    value += delta;
  } else {
    value = delta > value ? 0 : value - delta;
  }
  SlabClassCounters& cls = stats.slabClass(it->slabClass());
  bump(incr ? stats.incr_hits : stats.decr_hits);
  bump(incr ? cls.incr_hits : cls.decr_hits);

  const auto end = std::to_chars(out.digits.data(), out.digits.data() + out.digits.size(), value);
  out.length = static_cast<size_t>(end.ptr - out.digits.data());
  if (out.length <= it->valueLength()) {
    char* data = it->mutableValue();
    std::memcpy(data, out.digits.data(), out.length);
    std::memset(data + out.length, ' ', it->valueLength() - out.length);
    a.setCas(0);
  } else {
    const store::Allocation fresh =
        a.allocate(it->flags(), it->exptime(), static_cast<uint32_t>(out.length));
    if (!fresh.item) {
      out.result = DeltaResult::kNoMemory;
      return out;
    }
    std::memcpy(fresh.item->mutableValue(), out.digits.data(), out.length);
    a.link(fresh.item);
  }
  out.result = DeltaResult::kOk;
  return out;
}

void processArithmetic(CommandContext& ctx, const Tokens& tokens, bool incr) {
  ctx.noreply = tokens.back() == "noreply";
  const std::string_view key = tokens[1];
  if (key.size() > store::kMaxKeyLength) {
    ctx.reply(kBadFormat);
    return;
  }
  uint64_t delta = 0;
  if (!parseU64(tokens[2], delta)) {
    ctx.reply(kInvalidDelta);
    return;
  }
  const DeltaOutcome r = ctx.store.access(
      key, [&](store::Access& a) { return applyDelta(a, ctx.stats, incr, delta, 0); });
  switch (r.result) {
    case DeltaResult::kOk: {
      ReplyLine line;
      ctx.reply(line.add(r.value()).add("\r\n").view());
      return;
    }
    case DeltaResult::kNonNumeric:
      ctx.reply(kNonNumeric);
      return;
    case DeltaResult::kNoMemory:
      ctx.reply(kNoMemory);
      return;
    case DeltaResult::kNotFound:
      bump(incr ? ctx.stats.incr_misses : ctx.stats.decr_misses);
      ctx.reply(kNotFound);
      return;
    case DeltaResult::kCasMismatch:   // no cas was given
      return;
  }
}

}  // namespace unbuckle::proto
