// ma <key> <flags>*: memcached's process_marithmetic_command().
//
// Replies HD, or VA <length>\r\n<number> with v (both hidden by q), NF, NS
// or EX, followed by the flags c, t, O and k in request order. N with J
// creates a missing key holding J itself (the delta is not applied), and
// that creation is answered even under q.
#include <charconv>
#include <cstring>

#include "proto/arithmetic.h"
#include <optional>

#include "proto/commands.h"
#include "proto/meta_flags.h"
#include "proto/reply_text.h"

namespace unbuckle::proto {

namespace {

constexpr std::string_view kOpaqueTooLong = "CLIENT_ERROR opaque token too long\r\n";

struct MetaArithmeticReply {
  std::string_view error;   // a whole error line, or empty
  bool hidden_by_q = false;
  ReplyLine line;
};

// O and k, the flags every ma reply carries; false for an over-long opaque.
bool appendReturnedFlag(ReplyLine& line, std::string_view token, const MetaKey& key,
                        bool key_binary) {
  if (token[0] == 'O') {
    if (token.size() > kMaxOpaqueLength) return false;
    line.add(" ").add(token);
  } else if (token[0] == 'k') {
    appendMetaKey(line, key.view(), key_binary);
  }
  return true;
}

}  // namespace

void processMetaArithmetic(CommandContext& ctx, const Tokens& tokens) {
  MetaFlags f;
  std::optional<MetaKey> key;
  if (!openMetaMutation(ctx, tokens, f, key)) {
    return;
  }
  bool incr = true;
  switch (f.mode) {
    case 0:
    case 'I':
    case '+':
      break;
    case 'D':
    case '-':
      incr = false;
      break;
    default:
      ctx.replyError("CLIENT_ERROR invalid mode for ma M token\r\n");
      return;
  }

  MetaArithmeticReply reply;
  ctx.store.access(key->view(), [&](store::Access& a) {
    DeltaOutcome delta = applyDelta(a, ctx.stats, incr, f.delta, f.cas);
    bool created = false;
    switch (delta.result) {
      case DeltaResult::kOk:
        reply.hidden_by_q = true;
        break;
      case DeltaResult::kNonNumeric:
        reply.error = kNonNumeric;
        return;
      case DeltaResult::kNoMemory:
        reply.error = kNoMemory;
        return;
      case DeltaResult::kNotFound:
        if (!f.vivify) {
          bump(incr ? ctx.stats.incr_misses : ctx.stats.decr_misses);
          reply.line.add("NF");
          break;
        }
        {
          delta = DeltaOutcome{};
          const auto end = std::to_chars(delta.digits.data(),
                                         delta.digits.data() + delta.digits.size(), f.initial);
          delta.length = static_cast<size_t>(end.ptr - delta.digits.data());
          const store::Allocation fresh =
              a.allocate(0, 0, static_cast<uint32_t>(delta.length));
          if (!fresh.item) {
            reply.error = "SERVER_ERROR Out of memory allocating new item\r\n";
            return;
          }
          std::memcpy(fresh.item->mutableValue(), delta.digits.data(), delta.length);
          a.link(fresh.item);
          created = true;
        }
        break;
      case DeltaResult::kCasMismatch:
        reply.line.add("EX");
        break;
    }

    store::Item* it = (delta.result == DeltaResult::kOk || created) ? a.item() : nullptr;
    if (!it) {
      for (size_t i = 2; i < tokens.count(); ++i) {
        if (!appendReturnedFlag(reply.line, tokens[i], *key, f.key_binary)) {
          reply.error = kOpaqueTooLong;
          return;
        }
      }
      return;
    }
    if (f.value) {
      reply.line.add("VA ").addNumber(delta.length);
    } else {
      reply.line.add("HD");
    }
    const store::RelTime now = a.now();
    for (size_t i = 2; i < tokens.count(); ++i) {
      const std::string_view token = tokens[i];
      switch (token[0]) {
        case 'c':
          reply.line.add(" c").addNumber(it->cas());
          break;
        case 't':
          reply.line.add(" t");
          if (it->exptime() == 0) {
            reply.line.add("-1");
          } else {
            reply.line.addNumber(static_cast<uint32_t>(it->exptime() - now));
          }
          break;
        case 'T':
          a.setExptime(f.exptime);
          break;
        case 'N':
          if (created) a.setExptime(f.autoviv_exptime);
          break;
        default:
          if (!appendReturnedFlag(reply.line, token, *key, f.key_binary)) {
            reply.error = kOpaqueTooLong;
            return;
          }
          break;
      }
    }
    if (f.value) reply.line.add("\r\n").add(delta.value());
  });

  if (!reply.error.empty()) {
    ctx.replyError(reply.error);
    return;
  }
  reply.line.add("\r\n");
  if (reply.hidden_by_q) {
    ctx.reply(reply.line.view());
  } else {
    ctx.send(reply.line.view());
  }
}

}  // namespace unbuckle::proto
