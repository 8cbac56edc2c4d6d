// The client's UDP reads from one server: multi-gets split into requests of
// one datagram each (sent together, sendmmsg), their replies received
// (recvmmsg, with UDP GRO where the kernel joins them), reassembled,
// validated and gathered per multi-get.
//
// memcached 1.6 (and unbuckle-xdp) answer "get a b c" with one message per
// key, all under the request's id, END appended to the last. Datagrams of two
// multi-datagram messages of the same size cannot be told apart once
// reordered, so a request for several keys takes only its single-datagram
// messages; the keys named by the first datagram of a longer message are
// asked again one key per request, whose reply is one message and is
// reassembled whole. A request ends at END, when every key has its value,
// or at its deadline (then it is retried, or its keys are misses).
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "client/get_reply_parser.h"
#include "client/server_address.h"
#include "client/udp_reassembly.h"
#include "client/udp_request_ids.h"
#include "unbuckle/client.h"
#include "unbuckle/file_descriptor.h"

namespace unbuckle::client {

class UdpReader {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kBatch = 64;

  UdpReader(const ServerAddress& address, const ClientOptions& options);

  // Keys must be valid (client/memcached_key.h); repeats are asked once.
  // With a `sink`, hits go to it instead of the result's items.
  void start(uint64_t ticket, std::span<const std::string> keys, bool with_cas, ValueSink sink = nullptr);
  // Sends what is queued, reads what has arrived, expires what is late;
  // true when a multi-get completed.
  bool progress();
  std::optional<GetResult> take(uint64_t ticket);

  int fd() const { return fd_.get(); }
  bool wantsWrite() const { return !unsent_.empty(); }
  // The earliest request deadline, if any request is in flight.
  std::optional<Clock::time_point> nextDeadline() const;

  // Datagrams that matched no request in flight or broke the framing.
  uint64_t strays() const { return strays_; }

 private:
  // A key of a request: where it sits in the request's datagram.
  struct KeyRef {
    uint16_t offset = 0;
    uint8_t length = 0;
    bool answered = false;
  };
  struct Request {
    uint64_t ticket = 0;
    std::string datagram;  // header and "get <keys>\r\n": what is sent, and where keys point
    std::vector<KeyRef> keys;
    size_t unanswered = 0;
    bool with_cas = false;
    unsigned attempt = 0;
    Clock::time_point deadline{};
    UdpReassembly assembly;                 // one-key requests
    std::vector<std::string> long_replies;  // several-key requests: keys to ask alone
    size_t next_key = 0;  // where the next value's key is looked for first

    std::string_view key(size_t index) const {
      return std::string_view(datagram).substr(keys[index].offset, keys[index].length);
    }
  };
  struct Operation {
    GetResult result;
    ValueSink sink;
    size_t requests = 0;  // in flight or queued
  };
  using Requests = std::unordered_map<uint16_t, Request>;

  void queueRequest(uint64_t ticket, std::span<const std::string_view> keys, bool with_cas, unsigned attempt);
  void send();
  void receive();
  void expire();
  static std::optional<size_t> groSegmentSize(msghdr& header);
  void onDatagram(std::string_view datagram);
  void onMessage(Request& request, std::string_view message, bool whole_reply_expected, bool& ends);
  void finish(uint16_t id, bool timed_out);
  // The index of `key` among the request's keys. Replies come in the order
  // the keys were asked, so the search starts after the last key found: a
  // multi-get's keys are found in linear time, not quadratic.
  static std::optional<size_t> findKey(Request& request, std::string_view key);

  const ServerAddress& address_;
  const ClientOptions& options_;
  FileDescriptor fd_;
  UdpRequestIds ids_;
  Requests requests_;
  // Finished requests' nodes, reused with the room their strings and
  // vectors grew: a request in steady state allocates nothing.
  std::vector<Requests::node_type> spare_requests_;
  std::unordered_map<uint64_t, Operation> operations_;
  std::vector<uint16_t> unsent_;  // ids of requests whose datagram is not sent yet
  // Scratch reused from call to call, so that no key or message allocates:
  std::vector<size_t> seen_;                // start()'s table of the keys asked so far
  std::vector<std::string_view> batch_;     // start()'s and finish()'s keys of the next request
  GetReplyMessage parsed_;                  // onMessage()'s values of one message
  std::vector<size_t> indexes_;             // onMessage()'s key indexes of those values
  // 4 MiB of address space; left uninitialised, only the pages datagrams
  // land in are ever touched.
  std::unique_ptr<char[]> receive_buffer_;
  std::vector<char> receive_control_;  // each message's UDP_GRO segment size
  std::vector<iovec> receive_iov_;
  std::vector<mmsghdr> receive_headers_;
  uint64_t strays_ = 0;
  bool completed_ = false;  // since progress() began
};

}  // namespace unbuckle::client
