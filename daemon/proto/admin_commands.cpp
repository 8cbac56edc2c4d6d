// flush_all, version, verbosity, quit and memcached's administrative
// commands, on by default as in memcached 1.6.18; memcached's switches that
// turn them off (-X, -F, and -A to turn shutdown on) are flags here. `watch`
// answers as memcached with it disabled; slab reassignment and
// cache_memlimit act on the store's page mover.
#include <bitset>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "proto/commands.h"
#include "proto/exptime.h"
#include "proto/number_parse.h"
#include "proto/reply_text.h"
#include "unbuckle/version.h"

namespace unbuckle::proto {

namespace {

// memcached's MAX_VERBOSITY_LEVEL.
constexpr uint32_t kMaxVerbosity = 2;

bool isNoreply(const Tokens& tokens) { return tokens.back() == "noreply"; }

// A decimal accepted by strtod whole, as memcached's safe_strtod.
bool parseDouble(std::string_view text, double& out) {
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  out = std::strtod(copy.c_str(), &end);
  if (errno == ERANGE || end == copy.c_str()) return false;
  return *end == '\0' || std::isspace(static_cast<unsigned char>(*end));
}

}  // namespace

void processFlushAll(CommandContext& ctx, const Tokens& tokens) {
  ctx.noreply = isNoreply(tokens);
  bump(ctx.stats.cmd_flush);
  if (!ctx.config.flush_enabled) {
    ctx.reply("CLIENT_ERROR flush_all not allowed\r\n");
    return;
  }
  int32_t delay = 0;
  if (tokens.count() != (ctx.noreply ? 2u : 1u) && !parseI32(tokens[1], delay)) {
    ctx.reply(kInvalidExptime);
    return;
  }
  const store::RelTime when = delay > 0 ? realtime(delay, ctx.clock()) : ctx.clock().now();
  // With cas memcached keeps `when - 1` (the cas mark covers the rest of
  // the second), without it `when`. 0 ("already past before we started")
  // flushes nothing.
  const bool use_cas = ctx.store.config().use_cas;
  const store::RelTime oldest_live = use_cas ? when - 1 : when;
  ctx.registry.settings().oldest_live.store(oldest_live, std::memory_order_relaxed);
  ctx.store.flushAll(oldest_live, use_cas);
  ctx.reply(kOk);
}

void processVersion(CommandContext& ctx) { ctx.reply("VERSION " UNBUCKLE_MEMCACHED_VERSION "\r\n"); }

void processVerbosity(CommandContext& ctx, const Tokens& tokens) {
  ctx.noreply = isNoreply(tokens);
  uint32_t level = 0;
  if (!parseU32(tokens[1], level)) {
    ctx.reply(kBadFormat);
    return;
  }
  ctx.registry.settings().verbosity.store(level > kMaxVerbosity ? kMaxVerbosity : level,
                                          std::memory_order_relaxed);
  ctx.reply(kOk);
}

void processQuit(CommandContext& ctx) {
  // An empty response: over UDP a header-only datagram (see ResponseStream).
  ctx.out.endResponse();
  ctx.session.close = true;
}

// memcached closes the connection without a reply and raises SIGINT (or
// SIGUSR1 for graceful); here the daemon's callback stops it.
void processShutdown(CommandContext& ctx, const Tokens& tokens) {
  if (!ctx.config.shutdown) {
    ctx.reply("ERROR: shutdown not enabled\r\n");
  } else if (tokens.count() == 1 || (tokens.count() == 2 && tokens[1] == "graceful")) {
    ctx.session.close = true;
    ctx.config.shutdown(tokens.count() == 2);
  } else {
    ctx.reply("CLIENT_ERROR invalid shutdown mode\r\n");
  }
}

void processCacheMemlimit(CommandContext& ctx, const Tokens& tokens) {
  ctx.noreply = isNoreply(tokens);
  uint32_t megabytes = 0;
  if (!parseU32(tokens[1], megabytes)) {
    ctx.reply(kError);
  } else if (megabytes < 8) {
    ctx.reply("MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n");
  } else if (megabytes > 1000000000) {
    ctx.reply("MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n");
  } else {
    switch (ctx.store.setMemoryLimit(size_t{megabytes} << 20)) {
      case store::MemoryLimitChange::kOk:
        ctx.reply(kOk);
        break;
      case store::MemoryLimitChange::kCannotGrow:
        ctx.reply("MEMLIMIT_ADJUST_FAILED the kernel refused at start-up to reserve address space for item "
                  "memory beyond --memory-limit (strict overcommit or an address-space limit): restart with a "
                  "larger --memory-limit\r\n");
        break;
      case store::MemoryLimitChange::kTooSmall:
      case store::MemoryLimitChange::kTooLarge:
        ctx.reply("MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n");
        break;
    }
  }
}

namespace {

std::string_view reassignReply(store::Reassign result) {
  switch (result) {
    case store::Reassign::kOk: return kOk;
    case store::Reassign::kBusy: return "BUSY currently processing reassign request\r\n";
    case store::Reassign::kBadClass: return "BADCLASS invalid src or dst class id\r\n";
    case store::Reassign::kNoSpare: return "NOSPARE source class has no spare pages\r\n";
    case store::Reassign::kSame: return "SAME src and dst class are identical\r\n";
  }
  return kError;
}

}  // namespace

// memcached 1.6.18's process_slabs_command: reassign (exactly two class
// ids, no noreply) moves a page before it answers; automove switches the
// store's page mover (page_mover.h).
void processSlabs(CommandContext& ctx, const Tokens& tokens) {
  if (tokens.count() == 4 && tokens[1] == "reassign") {
    int32_t src = 0;
    int32_t dst = 0;
    if (!parseI32(tokens[2], src) || !parseI32(tokens[3], dst)) {
      ctx.reply(kBadFormat);
      return;
    }
    ctx.reply(reassignReply(ctx.store.reassign(src, dst)));
    return;
  }
  if (tokens.count() < 3 || tokens[1] != "automove") {
    ctx.reply(kError);
    return;
  }
  ctx.noreply = isNoreply(tokens);
  if (tokens[2] == "ratio") {
    double ratio = 0;
    if (tokens.count() < 4 || !parseDouble(tokens[3], ratio)) {
      ctx.reply(kError);
      return;
    }
    ctx.store.setAutomoveRatio(ratio);
    ctx.reply(kOk);
    return;
  }
  uint32_t level = 0;
  if (!parseU32(tokens[2], level)) {
    ctx.reply(kBadFormat);
    return;
  }
  if (level > 2) {
    ctx.reply(kError);
    return;
  }
  ctx.store.setAutomove(level);
  ctx.reply(kOk);
}

// memcached's lru command as with its LRU maintainer (on by default):
// validated and answered as memcached does. `mode` and `tune` have no effect
// on this store's one LRU per class (so `stats settings` keeps
// `lru_segmented no`); `temp_ttl` steers the store's temporary LRU
// (Store::setTemporaryLru) as memcached's does. Without the maintainer
// (--no-lru-maintainer) mode and temp_ttl answer ERROR, as memcached's.
void processLru(CommandContext& ctx, const Tokens& tokens) {
  ctx.noreply = isNoreply(tokens);
  if ((tokens[1] == "mode" || tokens[1] == "temp_ttl") && !ctx.config.lru_maintainer) {
    ctx.reply(kError);
    return;
  }
  if (tokens[1] == "mode" && tokens.count() >= 3) {
    ctx.reply(tokens[2] == "flat" || tokens[2] == "segmented" ? kOk : kError);
    return;
  }
  if (tokens[1] == "temp_ttl" && tokens.count() >= 3) {
    int32_t ttl = 0;
    if (!parseI32(tokens[2], ttl)) {
      ctx.reply(kError);
      return;
    }
    // A negative TTL turns the temporary LRU off and keeps the old value.
    ctx.store.setTemporaryLru(ttl >= 0, ttl >= 0 ? static_cast<uint32_t>(ttl) : ctx.store.temporaryLru().ttl);
    ctx.reply(kOk);
    return;
  }
  if (tokens[1] != "tune" || tokens.count() < 6) {
    ctx.reply(kError);
    return;
  }
  uint32_t pct_hot = 0;
  uint32_t pct_warm = 0;
  double hot_factor = 0;
  double warm_factor = 0;
  if (!parseU32(tokens[2], pct_hot) || !parseU32(tokens[3], pct_warm) ||
      !parseDouble(tokens[4], hot_factor) || !parseDouble(tokens[5], warm_factor)) {
    ctx.reply(kError);
  } else if (pct_hot + pct_warm > 80) {
    ctx.reply("ERROR hot and warm pcts must not exceed 80\r\n");
  } else if (warm_factor <= 0 || hot_factor <= 0) {
    ctx.reply("ERROR hot/warm age factors must be greater than 0\r\n");
  } else {
    ctx.reply(kOk);
  }
}

namespace {

constexpr uint32_t kMaxClassIds = 64;   // MAX_NUMBER_OF_SLAB_CLASSES

// memcached 1.6.18's lru_crawler_crawl(): "all", "hash" (metadump only),
// or a comma-separated list of class ids (empty items skipped, as strtok
// does), each in [1, 64). A crawl starts for every class named, with or
// without items. Returns the refusal line, or empty with `wanted` set.
std::string_view parseCrawlClasses(std::string_view classes, bool metadump,
                                   std::bitset<kMaxClassIds>& wanted) {
  if (classes == "all" || (metadump && classes == "hash")) {
    wanted.set();
    return {};
  }
  if (classes == "hash") return "ERROR an unknown error happened\r\n";
  while (!classes.empty()) {
    const size_t comma = classes.find(',');
    const std::string_view id_text = classes.substr(0, comma);
    classes = comma == std::string_view::npos ? std::string_view() : classes.substr(comma + 1);
    if (id_text.empty()) continue;
    uint32_t id = 0;
    if (!parseU32(id_text, id) || id < 1 || id >= kMaxClassIds) return "BADCLASS invalid class id\r\n";
    wanted.set(id);
  }
  return wanted.any() ? std::string_view() : "NOTSTARTED no items to crawl\r\n";
}

// util.c's uriencode(): all but [A-Za-z0-9._~-] as %XX.
void uriEncode(std::string_view key, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
}

// crawler.c's metadump line for a live item (expired and flushed ones are
// left out). cls and size are this store's, as in `me`.
void appendMetadumpLine(const store::Store::ItemSnapshot& s, const store::Clock& clock, std::string& out) {
  const store::RelTime now = clock.now();
  if (s.flushed || (s.exptime != 0 && s.exptime < now)) return;
  const int64_t started = clock.processStarted();
  ReplyLine line;
  out += "key=";
  uriEncode(s.key, out);
  line.add(" exp=").addSigned(s.exptime == 0 ? -1 : started + s.exptime);
  line.add(" la=").addNumber(static_cast<uint64_t>(started + s.last_access));
  line.add(" cas=").addNumber(s.cas);
  line.add(s.fetched ? " fetch=yes" : " fetch=no");
  line.add(" cls=").addNumber(s.class_id);
  line.add(" size=").addNumber(s.total_size);
  line.add("\n");
  out += line.view();
}

}  // namespace

// memcached's item_cachedump(): a class's items from its LRU head (memcached
// walks its COLD LRU only; this store has one LRU per class), binary keys
// skipped, at most 2 MB of lines, exptime as unix time or 0 for never.
void processStatsCachedump(CommandContext& ctx, const Tokens& tokens) {
  constexpr size_t kMaxReply = 2 * 1024 * 1024;
  constexpr size_t kShortestLine = sizeof("ITEM  [0 b; 0 s]\r\n") - 1;
  if (!ctx.config.dump_enabled) {
    ctx.reply("CLIENT_ERROR stats cachedump not allowed\r\n");
    return;
  }
  if (tokens.count() < 4) {
    ctx.reply("CLIENT_ERROR bad command line\r\n");
    return;
  }
  uint32_t id = 0;
  uint32_t limit = 0;
  if (!parseU32(tokens[2], id) || !parseU32(tokens[3], limit)) {
    ctx.reply(kBadFormat);
    return;
  }
  if (id >= kMaxClassIds) {
    ctx.reply("CLIENT_ERROR Illegal slab id\r\n");
    return;
  }
  // Binary keys do not count towards the limit, so take all that can fit.
  const auto items = ctx.store.classHead(static_cast<uint8_t>(id), kMaxReply / kShortestLine);
  const int64_t started = ctx.clock().processStarted();
  std::string out;
  uint32_t shown = 0;
  for (const store::Store::ItemSnapshot& s : items) {
    if (limit != 0 && shown == limit) break;
    if (s.key_binary) continue;
    ReplyLine line;
    // memcached copies the key as a C string: it ends at a NUL byte.
    line.add("ITEM ").add(std::string_view(s.key).substr(0, s.key.find('\0')));
    line.add(" [").addNumber(s.value_length).add(" b; ");
    line.addNumber(s.exptime == 0 ? 0 : static_cast<uint64_t>(started + s.exptime)).add(" s]\r\n");
    if (out.size() + line.view().size() + 6 > kMaxReply) break;   // 6: "END\r\n\0"
    out += line.view();
    ++shown;
  }
  out += kEnd;
  ctx.reply(out);
}

namespace {

void processCrawlOrMetadump(CommandContext& ctx, bool metadump, std::string_view classes) {
  if (metadump && !ctx.config.dump_enabled) {
    ctx.reply("ERROR metadump not allowed\r\n");
    return;
  }
  std::bitset<kMaxClassIds> wanted;
  const std::string_view refused = parseCrawlClasses(classes, metadump, wanted);
  if (!refused.empty() || !metadump) {
    if (refused.empty()) ctx.registry.settings().crawls_pending.fetch_add(1, std::memory_order_relaxed);
    ctx.reply(refused.empty() ? kOk : refused);
    return;
  }
  // memcached's crawler writes a metadump to the connection's socket
  // itself, so nothing may wait to be sent before it; over UDP that socket
  // has no peer and nothing arrives.
  if (ctx.out.stacked() || ctx.session.replies_waiting) {
    ctx.reply("ERROR cannot pipeline other commands before metadump\r\n");
    return;
  }
  if (ctx.session.transport == Transport::kDatagram) return;
  // One response, handed to the sink in pieces rather than built whole.
  constexpr size_t kPiece = 64 * 1024;
  std::string piece;
  ctx.store.forEachItem([&](const store::Store::ItemSnapshot& s) {
    if (wanted.test(s.class_id % kMaxClassIds)) appendMetadumpLine(s, ctx.clock(), piece);
    if (piece.size() >= kPiece) {
      ctx.out.append(piece);
      piece.clear();
    }
  });
  piece += kEnd;
  ctx.reply(piece);
}

}  // namespace

// As memcached's: enable and disable start and stop the store's crawler
// (daemon/main.cpp); crawl validates its class list and has the crawler
// walk every class once (they all need it anyway) before it sleeps again; metadump lists the live items of the classes
// named (unless --disable-dumping), walking the index, so "hash" is "all";
// sleep and tocrawl are kept for `stats settings` only.
void processLruCrawler(CommandContext& ctx, const Tokens& tokens) {
  RuntimeSettings& settings = ctx.registry.settings();
  const std::string_view sub = tokens.count() >= 2 ? tokens[1] : std::string_view();
  if (tokens.count() == 3 && (sub == "crawl" || sub == "metadump")) {
    if (!settings.lru_crawler.load(std::memory_order_relaxed)) {
      ctx.reply("CLIENT_ERROR lru crawler disabled\r\n");
    } else {
      processCrawlOrMetadump(ctx, sub == "metadump", tokens[2]);
    }
  } else if (tokens.count() == 3 && (sub == "sleep" || sub == "tocrawl")) {
    uint32_t value = 0;
    if (!parseU32(tokens[2], value)) {
      ctx.reply(kBadFormat);
    } else if (sub == "sleep" && value > 1000000) {
      ctx.reply("CLIENT_ERROR sleep must be one second or less\r\n");
    } else {
      (sub == "sleep" ? settings.lru_crawler_sleep : settings.lru_crawler_tocrawl)
          .store(value, std::memory_order_relaxed);
      ctx.reply(kOk);
    }
  } else if (tokens.count() == 2 && sub == "enable") {
    const bool was_running = settings.lru_crawler.exchange(true, std::memory_order_relaxed);
    ctx.reply(was_running ? "ERROR failed to start lru crawler thread\r\n" : kOk);
  } else if (tokens.count() == 2 && sub == "disable") {
    settings.lru_crawler.store(false, std::memory_order_relaxed);
    ctx.reply(kOk);
  } else {
    ctx.reply(kError);
  }
}

void processWatch(CommandContext& ctx, const Tokens& tokens) {
  ctx.noreply = isNoreply(tokens);
  ctx.reply("CLIENT_ERROR watch commands not allowed\r\n");
}

}  // namespace unbuckle::proto
