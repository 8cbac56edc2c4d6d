// The text protocol, top to bottom: find a command line, split it, dispatch
// on the command name with memcached's token-count checks, repeat. Mirrors
// memcached 1.6.18's try_read_command_ascii() and process_command_ascii().
#include "proto/engine.h"

#include <cstring>

#include "proto/command_context.h"
#include "proto/commands.h"
#include "proto/reply_text.h"
#include "proto/text_tokenizer.h"

namespace unbuckle::proto {

namespace {

// memcached closes a connection whose unterminated line passes 2048 bytes,
// unless it looks like a (possibly huge) multi-key get.
constexpr size_t kMaxUnterminatedLine = 2048;
constexpr size_t kMaxLeadingSpaces = 100;

bool mayBeLongGet(std::string_view pending) {
  const size_t spaces = pending.find_first_not_of(' ');
  if (spaces == std::string_view::npos || spaces > kMaxLeadingSpaces) return false;
  const std::string_view command = pending.substr(spaces);
  return command.starts_with("get ") || command.starts_with("gets ");
}

// The command line up to '\n' as memcached sees it: one '\r' before the
// '\n' dropped (unless it is the whole line), and cut at the first NUL,
// since memcached handles the line as a C string.
std::string_view commandLine(std::string_view line) {
  if (line.size() > 1 && line.back() == '\r') line.remove_suffix(1);
  const size_t nul = line.find('\0');
  return nul == std::string_view::npos ? line : line.substr(0, nul);
}

// The administrative commands a session may have turned off (Session::
// admin_commands): each large or state-changing beyond its key.
constexpr std::string_view kAdminCommands[] = {"stats", "flush_all", "verbosity", "shutdown",
                                               "lru_crawler", "watch", "me"};

// Refuses `name` when it is an admin command the session has off.
bool refusedAdmin(CommandContext& ctx, std::string_view name) {
  if (ctx.session.admin_commands) return false;
  for (const std::string_view admin : kAdminCommands) {
    if (name == admin) {
      ctx.out.append("CLIENT_ERROR ");
      ctx.out.append(name);
      ctx.out.append(" not allowed over UDP\r\n");
      ctx.out.endResponse();
      return true;
    }
  }
  return false;
}

void dispatchMeta(CommandContext& ctx, const Tokens& tokens) {
  switch (tokens[0][1]) {
    case 'g': processMetaGet(ctx, tokens); return;
    case 's': processMetaSet(ctx, tokens); return;
    case 'd': processMetaDelete(ctx, tokens); return;
    case 'a': processMetaArithmetic(ctx, tokens); return;
    case 'e': processMetaDebug(ctx, tokens); return;
    case 'n':
      ctx.reply("MN\r\n");
      ctx.out.flush();   // mn exists to flush the pipeline
      return;
    default: ctx.reply(kError); return;
  }
}

using Handler = void (*)(CommandContext&, const Tokens&);

// A classic command: its name, memcached's WANT_TOKENS bounds (command
// included, memcached's terminal token not) and its handler.
struct Command {
  std::string_view name;
  size_t min_tokens;
  size_t max_tokens;
  Handler run;
};

constexpr size_t kAnyCount = ~size_t{0};

constexpr Command kCommands[] = {
    {"get", 2, kAnyCount, [](CommandContext& c, const Tokens& t) { processGet(c, t, false, false); }},
    {"gets", 2, kAnyCount, [](CommandContext& c, const Tokens& t) { processGet(c, t, true, false); }},
    {"gat", 2, kAnyCount, [](CommandContext& c, const Tokens& t) { processGet(c, t, false, true); }},
    {"gats", 2, kAnyCount, [](CommandContext& c, const Tokens& t) { processGet(c, t, true, true); }},
    {"set", 5, 6, [](CommandContext& c, const Tokens& t) { processUpdate(c, t, StoreMode::kSet); }},
    {"add", 5, 6, [](CommandContext& c, const Tokens& t) { processUpdate(c, t, StoreMode::kAdd); }},
    {"replace", 5, 6,
     [](CommandContext& c, const Tokens& t) { processUpdate(c, t, StoreMode::kReplace); }},
    {"append", 5, 6,
     [](CommandContext& c, const Tokens& t) { processUpdate(c, t, StoreMode::kAppend); }},
    {"prepend", 5, 6,
     [](CommandContext& c, const Tokens& t) { processUpdate(c, t, StoreMode::kPrepend); }},
    {"cas", 6, 7, [](CommandContext& c, const Tokens& t) { processUpdate(c, t, StoreMode::kCas); }},
    {"incr", 3, 4, [](CommandContext& c, const Tokens& t) { processArithmetic(c, t, true); }},
    {"decr", 3, 4, [](CommandContext& c, const Tokens& t) { processArithmetic(c, t, false); }},
    {"delete", 2, 4, processDelete},
    {"touch", 3, 4, processTouch},
    {"stats", 1, kAnyCount, processStats},
    {"flush_all", 1, 3, processFlushAll},
    {"version", 1, kAnyCount, [](CommandContext& c, const Tokens&) { processVersion(c); }},
    {"quit", 1, kAnyCount, [](CommandContext& c, const Tokens&) { processQuit(c); }},
    {"verbosity", 2, 3, processVerbosity},
    {"shutdown", 1, kAnyCount, processShutdown},
    {"cache_memlimit", 2, 3, processCacheMemlimit},
    {"slabs", 1, kAnyCount, processSlabs},
    {"lru", 2, kAnyCount, processLru},
    {"watch", 1, kAnyCount, processWatch},
    {"lru_crawler", 1, kAnyCount, processLruCrawler},
    // An ancient alias memcached still accepts.
    {"bget", 2, kAnyCount, [](CommandContext& c, const Tokens& t) { processGet(c, t, false, false); }},
};

// process_command_ascii().
void dispatch(CommandContext& ctx, const Tokens& tokens) {
  const std::string_view name = tokens[0];
  if (tokens.count() == 0 || name.size() < 2) {
    ctx.reply(kError);
    return;
  }
  if (refusedAdmin(ctx, name)) {
    return;
  }
  if (name[0] == 'm' && name.size() == 2) {
    dispatchMeta(ctx, tokens);
    return;
  }
  for (const Command& command : kCommands) {
    if (name != command.name) continue;
    if (tokens.count() < command.min_tokens || tokens.count() > command.max_tokens) {
      ctx.reply(kError);
    } else {
      command.run(ctx, tokens);
    }
    return;
  }
  // memcached answers unknown names under these initials before it looks
  // for HTTP; someone speaking HTTP to us is hung up on without a reply.
  if (std::string_view("gsacidt").find(name[0]) != std::string_view::npos ||
      !tokens.back().starts_with("HTTP/")) {
    ctx.reply(kError);
  } else {
    ctx.session.close = true;
  }
}

}  // namespace

Engine::Engine(store::Store& store, const EngineConfig& config, StatsRegistry& stats)
    : store_(store), config_(config), stats_(stats) {
  RuntimeSettings& settings = stats_.settings();
  settings.verbosity.store(config.verbosity, std::memory_order_relaxed);
  settings.lru_crawler.store(config.lru_crawler, std::memory_order_relaxed);
  if (config.temporary_ttl) store_.setTemporaryLru(true, *config.temporary_ttl);
}

size_t findLineEnd(std::string_view input, size_t& scanned) {
  const size_t from = scanned < input.size() ? scanned : input.size();
  const void* newline = std::memchr(input.data() + from, '\n', input.size() - from);
  if (newline == nullptr) {
    scanned = input.size();
    return std::string_view::npos;
  }
  scanned = 0;
  return static_cast<size_t>(static_cast<const char*>(newline) - input.data());
}

size_t Engine::process(std::string_view input, ReplySink& out, Session& session,
                       WorkerStats& worker) {
  const bool stream = session.transport == Transport::kStream;
  ResponseStream responses(out);
  session.need = 0;
  size_t pos = 0;
  if (session.swallow > 0) {
    pos = session.swallow < input.size() ? session.swallow : input.size();
    session.swallow -= pos;
  }

  // A datagram is searched whole: nothing of it is offered again.
  size_t datagram_scanned = 0;
  size_t& scanned = stream ? session.line_scanned : datagram_scanned;
  while (pos < input.size() && !session.close) {
    const std::string_view pending = input.substr(pos);
    const size_t line_length = findLineEnd(pending, scanned);
    if (line_length == std::string_view::npos) {
      if (!stream) {
        bump(worker.udp_dropped_incomplete);
        return input.size();
      }
      if (pending.size() > kMaxUnterminatedLine && !mayBeLongGet(pending)) {
        session.close = true;
        return input.size();
      }
      return pos;
    }
    CommandContext ctx{store_, config_, stats_, responses, session, worker,
                       pending.substr(line_length + 1)};
    dispatch(ctx, tokenize(commandLine(pending.substr(0, line_length))));
    if (ctx.incomplete) {
      if (!stream) {
        bump(worker.udp_dropped_incomplete);
        return input.size();
      }
      return pos;
    }
    pos += line_length + 1 + ctx.data_consumed;
  }
  return stream ? pos : input.size();
}

}  // namespace unbuckle::proto
