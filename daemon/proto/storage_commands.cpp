// set, add, replace, append, prepend, cas: memcached's
// process_update_command() and complete_nread_ascii().
//
//   <cmd> <key> <flags> <exptime> <bytes> [<cas unique>] [noreply]\r\n<data>\r\n
//
// A refused size, or a block longer than the datapath can buffer, is
// answered before the data arrives and the data block is swallowed; a
// refused `set` also drops the key's old value.
#include <climits>

#include "proto/commands.h"
#include "proto/exptime.h"
#include "proto/number_parse.h"
#include "proto/reply_text.h"

namespace unbuckle::proto {

namespace {

std::string_view replyFor(StoreResult result) {
  switch (result) {
    case StoreResult::kStored: return kStored;
    case StoreResult::kNotStored: return kNotStored;
    case StoreResult::kExists: return kExists;
    case StoreResult::kNotFound: return kNotFound;
    case StoreResult::kTooLarge: return kTooLarge;
    case StoreResult::kNoMemory: return kNoMemoryStoring;
    case StoreResult::kBadDataChunk: return kBadDataChunk;
  }
  return kError;
}

}  // namespace

void processUpdate(CommandContext& ctx, const Tokens& tokens, StoreMode mode) {
  ctx.noreply = tokens.back() == "noreply";
  const std::string_view key = tokens[1];
  if (key.size() > store::kMaxKeyLength) {
    ctx.reply(kBadFormat);
    return;
  }
  uint32_t flags = 0;
  int32_t exptime_arg = 0;
  int32_t value_length = 0;
  if (!(parseU32(tokens[2], flags) && parseI32(tokens[3], exptime_arg) &&
        parseI32(tokens[4], value_length))) {
    ctx.reply(kBadFormat);
    return;
  }
  uint64_t cas = 0;
  if (mode == StoreMode::kCas && !parseU64(tokens[5], cas)) {
    ctx.reply(kBadFormat);
    return;
  }
  if (value_length < 0 || value_length > INT_MAX - 2) {
    ctx.reply(kBadFormat);
    return;
  }
  const size_t block_length = static_cast<size_t>(value_length) + 2;

  if (!ctx.store.fits(key.size(), static_cast<size_t>(value_length))) {
    if (ctx.registry.prefixes().enabled()) ctx.registry.prefixes().recordSet(key);
    refuseTooLarge(ctx.store, ctx.stats, key, mode == StoreMode::kSet);
    ctx.reply(kTooLarge);
    ctx.swallowDataBlock(block_length);
    return;
  }
  if (!ctx.blockFits(block_length)) {
    refuseNoMemory(ctx.store, ctx.stats, key, mode == StoreMode::kSet);
    ctx.reply(kNoMemoryStoring);
    ctx.swallowDataBlock(block_length);
    return;
  }
  const auto block = ctx.takeDataBlock(block_length);
  if (!block) return;
  // Counted once the block is here: an incomplete one is retried.
  if (ctx.registry.prefixes().enabled()) ctx.registry.prefixes().recordSet(key);

  StoreRequest request;
  request.key = key;
  request.flags = flags;
  request.exptime = exptimeToRelTime(exptime_arg, ctx.clock());
  request.block = *block;
  request.mode = mode;
  request.cas = cas;
  request.unlink_if_refused = mode == StoreMode::kSet;
  ctx.reply(replyFor(storeItem(ctx.store, ctx.stats, request).result));
}

}  // namespace unbuckle::proto
