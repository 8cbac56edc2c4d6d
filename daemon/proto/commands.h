// One handler per command family. The engine has already checked the token
// count each command needs (memcached's WANT_TOKENS); handlers do the rest,
// in memcached's order of checks, and end their responses themselves.
#pragma once

#include <optional>

#include "proto/command_context.h"
#include "proto/item_storage.h"
#include "proto/meta_flags.h"
#include "proto/text_tokenizer.h"

namespace unbuckle::proto {

// get, gets, gat, gats (retrieval.cpp)
void processGet(CommandContext& ctx, const Tokens& tokens, bool return_cas, bool touch);
// set, add, replace, append, prepend, cas (storage_commands.cpp)
void processUpdate(CommandContext& ctx, const Tokens& tokens, StoreMode mode);
// incr, decr (arithmetic.cpp)
void processArithmetic(CommandContext& ctx, const Tokens& tokens, bool incr);
// delete (delete_command.cpp), touch (touch_command.cpp)
void processDelete(CommandContext& ctx, const Tokens& tokens);
void processTouch(CommandContext& ctx, const Tokens& tokens);

// flush_all, version, verbosity, quit and the administrative commands
// (admin_commands.cpp)
void processFlushAll(CommandContext& ctx, const Tokens& tokens);
void processVersion(CommandContext& ctx);
void processVerbosity(CommandContext& ctx, const Tokens& tokens);
void processQuit(CommandContext& ctx);
void processShutdown(CommandContext& ctx, const Tokens& tokens);
void processCacheMemlimit(CommandContext& ctx, const Tokens& tokens);
void processSlabs(CommandContext& ctx, const Tokens& tokens);
void processLru(CommandContext& ctx, const Tokens& tokens);
void processWatch(CommandContext& ctx, const Tokens& tokens);
void processLruCrawler(CommandContext& ctx, const Tokens& tokens);
// stats cachedump <class> <limit> (admin_commands.cpp; dispatched by processStats)
void processStatsCachedump(CommandContext& ctx, const Tokens& tokens);

// stats and its subcommands (stats_commands.cpp)
void processStats(CommandContext& ctx, const Tokens& tokens);

// Meta commands (meta_*.cpp)
// md and ma open alike (their error texts match each other, not mg's or
// ms's): the key, its length, the token count, then the flags, setting
// ctx.noreply from q. Replies and returns false when the line is refused.
bool openMetaMutation(CommandContext& ctx, const Tokens& tokens, MetaFlags& flags,
                      std::optional<MetaKey>& key);
void processMetaGet(CommandContext& ctx, const Tokens& tokens);
void processMetaSet(CommandContext& ctx, const Tokens& tokens);
void processMetaDelete(CommandContext& ctx, const Tokens& tokens);
void processMetaArithmetic(CommandContext& ctx, const Tokens& tokens);
void processMetaDebug(CommandContext& ctx, const Tokens& tokens);

}  // namespace unbuckle::proto
