// Memcached UDP datagrams (frame header included) through udp::
// DatagramServer, the one UDP server of every datapath: allow list, frame
// checks, reply budget, the engine on a datagram session, and the datagram
// reply sink into a writer that checks every datagram. The writer lends a
// few datagrams, as an AF_XDP TX frame writer does, so replies go both
// through lent datagrams and write().
//
// Input: a few datagrams separated by the 4 bytes "\xffUDP" (so that one
// input can store and then fetch), each starting with its 8-byte frame
// header; they come 1 ms apart from one allowed source with a small budget,
// admin commands on, replies coalesced when the input's first byte is odd.
// Findings: a crash or sanitizer report, a sleep on the worker, and a reply
// datagram over 1400 bytes or whose frame header disagrees with its message
// (request id, sequence 0..n-1, total n; total 0 only alone).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine_under_test.h"
#include "finding.h"
#include "no_sleep.h"
#include "udp/datagram_server.h"
#include "unbuckle/mc_udp.h"
#include "unbuckle/mc_udp_frame.h"

namespace unbuckle::fuzz {
namespace {

// Checks every datagram as it is queued, message by message, and that it
// answers a request whose reply the server started (once).
class CheckingWriter final : public udp::DatagramWriter {
 public:
  static constexpr size_t kLend = 3;

  void expectRequest(uint16_t id) {
    finishMessage();
    request_id_ = id;
    reply_started_ = false;
  }

  void startReply() override {
    if (reply_started_) finding("a reply started twice for one request");
    reply_started_ = true;
  }
  std::span<char> open() override {
    if (!reply_started_) finding("a datagram for a request whose reply was not started");
    if (opened_.size() == kLend) return {};
    opened_.emplace_back(MC_UDP_MAX_PAYLOAD, '\0');
    return opened_.back();
  }
  void sendOpened(size_t last_length) override {
    if (last_length > MC_UDP_MAX_PAYLOAD) finding("last lent datagram longer than its room");
    if (last_length < MC_UDP_HEADER_SIZE) finding("lent datagram shorter than its frame header");
    for (size_t i = 0; i < opened_.size(); ++i) {
      const size_t length = i + 1 == opened_.size() ? last_length : MC_UDP_MAX_PAYLOAD;
      check(std::string_view(opened_[i]).substr(0, length));
    }
    opened_.clear();
  }
  void discardOpened() override { opened_.clear(); }
  void write(std::string_view header, std::string_view data) override {
    if (!reply_started_) finding("a datagram for a request whose reply was not started");
    if (header.size() != MC_UDP_HEADER_SIZE) finding("frame header of the wrong size");
    if (data.size() > MC_UDP_DATA_SIZE) finding("reply datagram over 1400 bytes");
    check(std::string(header).append(data));
  }

  // The message so far has all its datagrams.
  void finishMessage() {
    if (next_sequence_ != 0 && next_sequence_ != total_ && !(total_ == 0 && next_sequence_ == 1)) {
      finding("a message ended before its last datagram");
    }
    next_sequence_ = 0;
    total_ = 0;
  }

 private:
  void check(std::string_view datagram) {
    if (datagram.size() > MC_UDP_MAX_PAYLOAD) finding("reply datagram over 1400 bytes");
    const FrameHeader header = readFrameHeader(datagram.data());
    const std::string_view data = datagram.substr(MC_UDP_HEADER_SIZE);
    if (header.request_id != request_id_) finding("reply datagram with another request's id");
    if (header.reserved != 0) finding("reply datagram with reserved bits set");
    if (header.sequence == 0) {
      finishMessage();
      total_ = header.total;
      if (total_ == 0 && !data.empty()) finding("a header-only message carries data");
    } else if (header.sequence != next_sequence_ || header.total != total_) {
      finding("reply datagram out of sequence or with a changed total");
    }
    next_sequence_ = header.sequence + 1;
    if (total_ != 0 && next_sequence_ < total_ && data.size() != MC_UDP_DATA_SIZE) {
      finding("a datagram before the last of its message is not full");
    }
  }

  std::vector<std::string> opened_;
  uint16_t request_id_ = 0;
  uint16_t total_ = 0;
  uint32_t next_sequence_ = 0;
  bool reply_started_ = false;
};

}  // namespace
}  // namespace unbuckle::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace unbuckle;
  using namespace unbuckle::fuzz;
  constexpr std::string_view kSeparator = "\xffUDP";
  constexpr uint8_t kSource[4] = {10, 0, 0, 1};
  static const udp::AllowList allow{{*config::Cidr::parse("10.0.0.0/8")}};
  EngineUnderTest engine;
  CheckingWriter writer;
  udp::DatagramServerSettings settings;
  settings.allow = &allow;
  settings.max_reply_bytes = udp::DatagramReplySink::replyBudget(EngineUnderTest::smallStore().max_item_size);
  settings.budget = {1u << 20, 4u << 20};
  settings.admin_commands = true;
  settings.coalesce_replies = size > 0 && (data[0] & 1) != 0;
  udp::DatagramServer server(writer, engine.engine, engine.worker, settings);
  uint64_t now_ns = 1;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const size_t end = input.find(kSeparator);
    const std::string_view datagram = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + kSeparator.size());
    const bool framed = datagram.size() >= MC_UDP_HEADER_SIZE;
    writer.expectRequest(framed ? readFrameHeader(datagram.data()).request_id : 0);
    {
      NoSleepScope no_sleep;
      server.serve(datagram, udp::SourceAddress::ipv4(kSource), now_ns);
    }
    writer.finishMessage();
    now_ns += 1000000;
  }
  return 0;
}
