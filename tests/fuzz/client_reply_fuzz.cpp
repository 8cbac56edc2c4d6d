// What the client library makes of servers' replies (client/): any bytes as
// a TCP reply stream and as a UDP reply message, and any datagrams through
// UDP reassembly. Servers are not trusted to be right, and a UDP socket can
// receive anyone's datagrams.
//
// Input: byte 0 picks the path; TCP: byte 1's low 3 bits are how many of
// the next bytes cut the stream into reads (each byte a fraction of the rest),
// UDP message: the rest is one message, reassembly: datagrams, each a length
// byte and that many bytes of frame header and payload.
// Findings: a crash or sanitizer report, an exception, and:
//   TCP: a reply framed read by read (resuming each get reply where the last
//        read stopped) that differs from the same prefix framed whole, a
//        framed reply whose length changes as more bytes come, a complete
//        get reply whose values are not its whole VALUE blocks;
//   UDP: an accepted message whose values are not its whole VALUE blocks;
//   reassembly: a complete message that is not the payloads of sequence
//        0..total-1 joined in order.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "client/get_reply_parser.h"
#include "client/tcp_reply_framing.h"
#include "client/udp_reassembly.h"
#include "finding.h"
#include "unbuckle/mc_udp.h"
#include "unbuckle/mc_udp_frame.h"

namespace unbuckle::fuzz {
namespace {

using client::CommandKind;
using client::Framing;
using client::ParsedValue;

constexpr CommandKind kKinds[] = {CommandKind::kLine, CommandKind::kValues, CommandKind::kMeta, CommandKind::kStats};

bool sameFraming(const Framing& a, const Framing& b) {
  return a.status == b.status && (a.status != Framing::Status::kComplete || a.length == b.length);
}

Framing::Status framingStatus(client::StreamedGetReply::Status status) {
  switch (status) {
    case client::StreamedGetReply::Status::kNeedMore: return Framing::Status::kNeedMore;
    case client::StreamedGetReply::Status::kComplete: return Framing::Status::kComplete;
    case client::StreamedGetReply::Status::kCorrupt: return Framing::Status::kCorrupt;
  }
  return Framing::Status::kCorrupt;
}

// Each value's data is inside `text`, right after its VALUE line, as long as
// the line says, and followed by "\r\n"; the values come in order.
void checkValues(std::string_view text, const std::vector<ParsedValue>& values, const char* where) {
  const char* cursor = text.data();
  for (const ParsedValue& value : values) {
    const char* key = value.key.data();
    const char* data = value.data.data();
    if (key < cursor || data < key || data + value.data.size() + 2 > text.data() + text.size()) {
      finding(std::string(where) + ": a value outside its reply or out of order");
    }
    const auto line = client::parseValueLine(std::string_view(key - 6, data - 2 - (key - 6)));
    if (!line || line->key != value.key || line->bytes != value.data.size() || line->flags != value.flags ||
        line->cas != value.cas) {
      finding(std::string(where) + ": a value that is not what its VALUE line says");
    }
    if (std::string_view(data + value.data.size(), 2) != "\r\n") finding(std::string(where) + ": data without CRLF");
    cursor = data + value.data.size() + 2;
  }
}

void tcpStream(std::string_view cuts, std::string_view stream) {
  std::vector<size_t> reads;
  size_t at = 0;
  for (const char cut : cuts) {
    at += (stream.size() - at) * static_cast<uint8_t>(cut) / 256;
    reads.push_back(at);
  }
  reads.push_back(stream.size());
  for (const CommandKind kind : kKinds) {
    const Framing whole = client::frameReply(stream, kind);
    size_t resume = 0;
    Framing settled;  // the first complete or corrupt framing of a prefix
    bool is_settled = false;
    for (const size_t end : reads) {
      const std::string_view prefix = stream.substr(0, end);
      const Framing resumed = client::frameReply(prefix, kind, resume);
      const Framing fresh = client::frameReply(prefix, kind);
      if (!sameFraming(resumed, fresh)) finding("a reply framed read by read differs from its prefix framed whole");
      if (resumed.status == Framing::Status::kNeedMore) {
        if (resumed.length > end) finding("a resume point past the bytes read");
        resume = resumed.length;
        continue;
      }
      if (resumed.status == Framing::Status::kComplete && resumed.length > end) finding("a reply longer than its bytes");
      if (is_settled && !sameFraming(settled, resumed)) {
        finding("a framed reply changed as more bytes came: kind " + std::to_string(static_cast<int>(kind)) + ", " +
                std::to_string(end) + " bytes");
      }
      settled = resumed;
      is_settled = true;
    }
    if (is_settled && !sameFraming(settled, whole)) finding("a framed reply differs from the whole stream's");
    if (kind != CommandKind::kValues) continue;
    const client::StreamedGetReply parsed = client::parseGetReplyStream(stream);
    if (!sameFraming(Framing{framingStatus(parsed.status), parsed.length}, whole)) {
      finding("parseGetReplyStream and frameReply disagree");
    }
    if (parsed.status == client::StreamedGetReply::Status::kComplete && parsed.error_line.empty()) {
      checkValues(stream.substr(0, parsed.length), parsed.values, "TCP get reply");
      client::ItemMap items;
      for (const ParsedValue& value : parsed.values) client::deliverValue(value, {}, items);
    }
  }
}

void udpMessage(std::string_view message) {
  client::GetReplyMessage parsed;
  if (client::parseGetReplyMessage(message, parsed)) checkValues(message, parsed.values, "UDP message");
}

void reassembly(std::string_view input) {
  client::UdpReassembly assembly;
  std::map<uint16_t, std::string> parts;  // what add() accepted, by sequence
  while (input.size() > 1) {
    const size_t length = std::min<size_t>(static_cast<uint8_t>(input[0]), input.size() - 1);
    const std::string_view datagram = input.substr(1, length);
    input.remove_prefix(1 + length);
    if (datagram.size() < MC_UDP_HEADER_SIZE) continue;
    const FrameHeader header = readFrameHeader(datagram.data());
    const std::string_view payload = datagram.substr(MC_UDP_HEADER_SIZE);
    if (assembly.isDuplicate(header, payload)) {
      if (parts.count(header.sequence) == 0 || parts[header.sequence] != payload) {
        finding("a datagram called a duplicate of one never added");
      }
      continue;
    }
    const auto status = assembly.add(header, payload);
    if (status == client::UdpReassembly::Status::kBadFrame) return;
    parts[header.sequence] = std::string(payload);
    if (status == client::UdpReassembly::Status::kComplete) {
      std::string joined;
      for (uint16_t sequence = 0; sequence < header.total; ++sequence) {
        if (parts.count(sequence) == 0) finding("a message complete without one of its datagrams");
        joined += parts[sequence];
      }
      if (parts.size() != header.total || assembly.message() != joined) {
        finding("a reassembled message that is not its payloads in order");
      }
      return;
    }
  }
}

}  // namespace
}  // namespace unbuckle::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace unbuckle::fuzz;
  if (size < 2) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  failOnException([&] {
    switch (data[0] % 3) {
      case 0: {
        const size_t cuts = std::min<size_t>(data[1] & 7, size - 2);
        tcpStream(input.substr(2, cuts), input.substr(2 + cuts));
        break;
      }
      case 1: udpMessage(input.substr(1)); break;
      case 2: reassembly(input.substr(1)); break;
    }
  });
  return 0;
}
