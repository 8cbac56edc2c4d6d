// A udp::DatagramWriter for tests: keeps every datagram as the bytes that
// would go on the wire, and counts the replies started. It lends up to
// `lend` datagrams per message, as a TX frame writer does, so tests can run
// with nothing lent (all through write()), some, and all.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "udp/datagram_writer.h"
#include "unbuckle/mc_udp.h"

namespace unbuckle::udp {

class RecordingWriter final : public DatagramWriter {
 public:
  explicit RecordingWriter(size_t lend = SIZE_MAX) : lend_(lend) {}

  void startReply() override {
    ++replies;
    datagrams_at_reply = datagrams.size();
  }

  std::span<char> open() override {
    if (opened_.size() == lend_) {
      return {};
    }
    opened_.emplace_back(MC_UDP_MAX_PAYLOAD, '?');
    return opened_.back();
  }
  void sendOpened(size_t last_length) override {
    for (size_t i = 0; i < opened_.size(); ++i) {
      const size_t length = i + 1 == opened_.size() ? last_length : MC_UDP_MAX_PAYLOAD;
      datagrams.push_back(opened_[i].substr(0, length));
    }
    opened_.clear();
  }
  void discardOpened() override { opened_.clear(); }
  void write(std::string_view header, std::string_view data) override {
    datagrams.push_back(std::string(header).append(data));
  }

  std::vector<std::string> datagrams;
  size_t replies = 0;              // startReply() calls
  size_t datagrams_at_reply = 0;   // datagrams.size() at the last of them

 private:
  size_t lend_;
  std::vector<std::string> opened_;
};

}  // namespace unbuckle::udp
