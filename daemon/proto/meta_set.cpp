// ms <key> <datalen> <flags>*\r\n<data>\r\n: memcached's
// process_mset_command() and _finalize_mset().
//
// Replies HD (hidden by q), NS, EX or NF, followed by the O, k and c flags
// in request order (c is the new cas, 0 when nothing was stored). A bad
// flag, mode or opaque swallows the data block; a bad datalen or an
// over-long key does not, so the data line is then read as a command.
#include <climits>

#include "proto/commands.h"
#include "proto/meta_flags.h"
#include "proto/number_parse.h"
#include "proto/reply_text.h"

namespace unbuckle::proto {

namespace {

bool modeFromFlag(char flag, StoreMode& mode) {
  switch (flag) {
    case 0:
    case 'S': mode = StoreMode::kSet; return true;
    case 'E': mode = StoreMode::kAdd; return true;
    case 'A': mode = StoreMode::kAppend; return true;
    case 'P': mode = StoreMode::kPrepend; return true;
    case 'R': mode = StoreMode::kReplace; return true;
    default: return false;
  }
}

std::string_view statusCode(StoreResult result) {
  switch (result) {
    case StoreResult::kStored: return "HD";
    case StoreResult::kExists: return "EX";
    case StoreResult::kNotFound: return "NF";
    default: return "NS";
  }
}

}  // namespace

void processMetaSet(CommandContext& ctx, const Tokens& tokens) {
  if (tokens.count() < 2) {
    ctx.reply(kError);
    return;
  }
  if (tokens[1].size() > store::kMaxKeyLength || tokens.count() == 2) {
    ctx.replyError(kBadFormat);
    return;
  }
  if (tokens.count() + 1 > kMaxMetaTokens) {
    ctx.replyError("CLIENT_ERROR options flags too long\r\n");
    return;
  }
  int32_t value_length = 0;
  if (!parseI32(tokens[2], value_length) || value_length < 0 || value_length > INT_MAX - 2) {
    ctx.replyError(kBadFormat);
    return;
  }
  const size_t block_length = static_cast<size_t>(value_length) + 2;
  auto refuse = [&](std::string_view error) {
    ctx.replyError(error);
    ctx.swallowDataBlock(block_length);
  };

  MetaFlags f;
  MetaKey key(tokens[1]);
  if (const std::string_view error = parseMetaFlags(tokens, 3, f, key, ctx.clock());
      !error.empty()) {
    refuse(error);
    return;
  }
  ctx.noreply = f.no_reply;
  bool opaque_too_long = false;
  for (size_t i = 2; i < tokens.count(); ++i) {
    if (tokens[i][0] == 'O' && tokens[i].size() > kMaxOpaqueLength) opaque_too_long = true;
  }
  StoreMode mode = StoreMode::kSet;
  if (!modeFromFlag(f.mode, mode)) {
    refuse("CLIENT_ERROR invalid mode for ms M token\r\n");
    return;
  }
  // A cas turns set and replace into cas; add, append and prepend keep
  // their mode (append/prepend still compare it).
  if (f.has_cas && (mode == StoreMode::kSet || mode == StoreMode::kReplace)) mode = StoreMode::kCas;
  if (opaque_too_long) {
    refuse("CLIENT_ERROR opaque token too long\r\n");
    return;
  }
  if (!ctx.store.fits(key.view().size(), static_cast<size_t>(value_length))) {
    refuseTooLarge(ctx.store, ctx.stats, key.view(), true);
    refuse(kTooLarge);
    return;
  }
  if (!ctx.blockFits(block_length)) {
    refuseNoMemory(ctx.store, ctx.stats, key.view(), true);
    refuse(kNoMemoryStoring);
    return;
  }
  const auto block = ctx.takeDataBlock(block_length);
  if (!block) return;

  StoreRequest request;
  request.key = key.view();
  request.flags = f.client_flags;
  request.exptime = f.exptime;
  request.block = *block;
  request.mode = mode;
  request.cas = f.cas;
  request.set_stale = f.set_stale && mode == StoreMode::kCas;
  request.key_binary = f.key_binary;
  request.unlink_if_refused = true;
  const StoreOutcome stored = storeItem(ctx.store, ctx.stats, request);
  switch (stored.result) {
    case StoreResult::kBadDataChunk:
      ctx.replyError(kBadDataChunk);
      return;
    case StoreResult::kTooLarge:
      ctx.replyError(kTooLarge);
      return;
    case StoreResult::kNoMemory:
      ctx.replyError(kNoMemoryStoring);
      return;
    default:
      break;
  }

  ReplyLine line;
  line.add(statusCode(stored.result));
  for (size_t i = 2; i < tokens.count(); ++i) {
    const std::string_view token = tokens[i];
    if (token[0] == 'O') {
      line.add(" ").add(token);
    } else if (token[0] == 'k') {
      appendMetaKey(line, key.view(), f.key_binary);
    } else if (token[0] == 'c') {
      line.add(" c").addNumber(stored.cas);
    }
  }
  line.add("\r\n");
  if (stored.result == StoreResult::kStored) {
    ctx.reply(line.view());
  } else {
    ctx.send(line.view());
  }
}

}  // namespace unbuckle::proto
