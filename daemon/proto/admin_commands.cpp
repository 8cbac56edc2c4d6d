// flush_all, version, verbosity, quit and memcached's administrative
// commands. Features this server does not have answer as memcached does
// when they are disabled (shutdown, slab reassignment, watch, dumps), and
// runtime memory-limit changes are refused with memcached's failure line.
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
    ctx.reply("MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n");
  }
}

void processSlabs(CommandContext& ctx, const Tokens& tokens) {
  if (tokens.count() == 4 && tokens[1] == "reassign") {
    ctx.reply("CLIENT_ERROR slab reassignment disabled\r\n");
    return;
  }
  if (tokens.count() < 3 || tokens[1] != "automove") {
    ctx.reply(kError);
    return;
  }
  // Accepted and validated as memcached does; the store moves pages when a
  // set needs one, so the setting has no effect.
  ctx.noreply = isNoreply(tokens);
  if (tokens[2] == "ratio") {
    double ratio = 0;
    ctx.reply(tokens.count() >= 4 && parseDouble(tokens[3], ratio) ? kOk : kError);
    return;
  }
  uint32_t level = 0;
  if (!parseU32(tokens[2], level)) {
    ctx.reply(kBadFormat);
    return;
  }
  ctx.reply(level <= 2 ? kOk : kError);
}

void processLru(CommandContext& ctx, const Tokens& tokens) {
  ctx.noreply = isNoreply(tokens);
  // Only `lru tune` exists without memcached's LRU maintainer thread; it is
  // validated as memcached does and has no effect on this store's LRU.
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

// memcached 1.6.18's lru_crawler_crawl() for an expired-items crawl: "all",
// or a comma-separated list of class ids (empty items skipped, as strtok
// does), each in [1, 64). It starts a crawl of every class named, with or
// without items; "hash" fails in that version.
std::string_view crawlReply(std::string_view classes) {
  constexpr uint32_t kMaxClassIds = 64;   // MAX_NUMBER_OF_SLAB_CLASSES
  if (classes == "all") return kOk;
  if (classes == "hash") return "ERROR an unknown error happened\r\n";
  bool any = false;
  while (!classes.empty()) {
    const size_t comma = classes.find(',');
    const std::string_view id_text = classes.substr(0, comma);
    classes = comma == std::string_view::npos ? std::string_view() : classes.substr(comma + 1);
    if (id_text.empty()) continue;
    uint32_t id = 0;
    if (!parseU32(id_text, id) || id < 1 || id >= kMaxClassIds) return "BADCLASS invalid class id\r\n";
    any = true;
  }
  return any ? kOk : "NOTSTARTED no items to crawl\r\n";
}

}  // namespace

// As a memcached whose crawler runs and whose dump commands are off (-X, as
// `stats settings` says): enable and disable start and stop the store's
// crawler (daemon/main.cpp); crawl validates its class list, since that
// crawler walks every class anyway; sleep and tocrawl are kept for `stats
// settings` only.
void processLruCrawler(CommandContext& ctx, const Tokens& tokens) {
  RuntimeSettings& settings = ctx.registry.settings();
  const std::string_view sub = tokens.count() >= 2 ? tokens[1] : std::string_view();
  if (tokens.count() == 3 && (sub == "crawl" || sub == "metadump")) {
    if (!settings.lru_crawler.load(std::memory_order_relaxed)) {
      ctx.reply("CLIENT_ERROR lru crawler disabled\r\n");
    } else {
      ctx.reply(sub == "crawl" ? crawlReply(tokens[2]) : "ERROR metadump not allowed\r\n");
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
