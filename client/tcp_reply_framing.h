// Where one reply ends in a TCP stream of memcached ASCII replies, by the
// kind of command that asked for it. TCP keeps replies in request order, so
// this is all the client needs to match pipelined replies to requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "unbuckle/client.h"

namespace unbuckle::client {

// kNeedMore: the stream ends before the reply; kComplete: the reply is the
// first `length` bytes; kCorrupt: the stream cannot be followed any more.
// Any reply may instead be one ERROR, CLIENT_ERROR or SERVER_ERROR line.
//
// A get reply (kValues) can be long and arrive in many reads: its kNeedMore
// `length` says how far it has been read through, and passing that back as
// `resume` once more bytes came continues from there, so that each byte is
// framed once, not once per read. Other kinds return 0 and ignore it.
struct Framing {
  enum class Status { kNeedMore, kComplete, kCorrupt } status = Status::kNeedMore;
  size_t length = 0;
};
Framing frameReply(std::string_view buffer, CommandKind kind, size_t resume = 0);

}  // namespace unbuckle::client
