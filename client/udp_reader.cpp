#include "client/udp_reader.h"

#include <netinet/udp.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "client/get_reply_parser.h"
#include "unbuckle/mc_udp.h"

namespace unbuckle::client {

namespace {

// memcached sends at most MC_UDP_MAX_PAYLOAD (1400) bytes per datagram;
// anything longer is dropped as a stray.
constexpr size_t kMaxDatagram = 2048;
// With UDP GRO the kernel hands over a run of same-size datagrams from the
// server as one buffer of at most 64 KiB.
constexpr size_t kMaxReceive = 65536;
constexpr size_t kControlSpace = CMSG_SPACE(sizeof(int));
constexpr int kReceiveBatchesPerCall = 64;
constexpr int kSendAttempts = 3;
// Finished requests kept for reuse; more than this many are freed.
constexpr size_t kSpareRequests = 1024;

}  // namespace

UdpReader::UdpReader(const ServerAddress& address, const ClientOptions& options)
    : address_(address),
      options_(options),
      fd_(socket(address.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)),
      ids_(static_cast<uint16_t>(Clock::now().time_since_epoch().count())),
      receive_buffer_(std::make_unique_for_overwrite<char[]>(kBatch * kMaxReceive)),
      receive_control_(kBatch * kControlSpace),
      receive_iov_(kBatch),
      receive_headers_(kBatch) {
  if (!fd_) throw ClientError(std::string("UDP socket for ") + address.name + ": " + std::strerror(errno));
  setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &options.udp_receive_buffer, sizeof(options.udp_receive_buffer));
  // Connected: only this server's datagrams arrive, and send() needs no address.
  if (connect(fd_.get(), address.get(), address.length) != 0) {
    throw ClientError("UDP connect to " + address.name + ": " + std::strerror(errno));
  }
  // A multi-datagram reply then costs the client's kernel one receive, not
  // one per datagram. Best effort: without it (Linux before 5.0, or no GRO
  // on the way in) datagrams come one by one.
  const int one = 1;
  setsockopt(fd_.get(), SOL_UDP, UDP_GRO, &one, sizeof(one));
  for (size_t i = 0; i < kBatch; ++i) {
    receive_iov_[i] = iovec{receive_buffer_.get() + i * kMaxReceive, kMaxReceive};
    receive_headers_[i].msg_hdr.msg_iov = &receive_iov_[i];
    receive_headers_[i].msg_hdr.msg_iovlen = 1;
    receive_headers_[i].msg_hdr.msg_control = receive_control_.data() + i * kControlSpace;
  }
}

void UdpReader::start(uint64_t ticket, std::span<const std::string> keys, bool with_cas, ValueSink sink) {
  Operation& operation = operations_[ticket];
  if (sink) {
    operation.sink = std::move(sink);
  } else {
    operation.result.items.reserve(keys.size());
  }
  const size_t empty_length = (with_cas ? 4 : 3) + 2;  // "get" or "gets", "\r\n"
  // Repeats are asked once: an open-addressed table of key indexes, kept
  // between calls, so finding them allocates nothing per key.
  constexpr size_t kEmpty = SIZE_MAX;
  const size_t mask = std::bit_ceil(2 * keys.size()) - 1;
  seen_.assign(mask + 1, kEmpty);
  const auto firstTime = [&](size_t index) {
    size_t slot = std::hash<std::string_view>{}(keys[index]) & mask;
    for (; seen_[slot] != kEmpty; slot = (slot + 1) & mask) {
      if (keys[seen_[slot]] == keys[index]) return false;
    }
    seen_[slot] = index;
    return true;
  };
  batch_.clear();
  size_t length = empty_length;
  for (size_t index = 0; index < keys.size(); ++index) {
    if (!firstTime(index)) continue;
    const std::string& key = keys[index];
    const bool full = options_.udp_keys_per_request != 0 && batch_.size() >= options_.udp_keys_per_request;
    if (!batch_.empty() && (full || length + 1 + key.size() > MC_UDP_DATA_SIZE)) {
      queueRequest(ticket, batch_, with_cas, 0);
      batch_.clear();
      length = empty_length;
    }
    batch_.push_back(key);
    length += 1 + key.size();
  }
  if (!batch_.empty()) queueRequest(ticket, batch_, with_cas, 0);
}

void UdpReader::queueRequest(uint64_t ticket, std::span<const std::string_view> keys, bool with_cas,
                             unsigned attempt) {
  const auto id = ids_.allocate();
  if (!id) throw ClientError("65536 UDP requests in flight to " + address_.name + ": wait for some to finish");
  auto placed = requests_.end();
  if (spare_requests_.empty()) {
    placed = requests_.try_emplace(*id).first;
  } else {
    Requests::node_type node = std::move(spare_requests_.back());
    spare_requests_.pop_back();
    node.key() = *id;
    placed = requests_.insert(std::move(node)).position;
  }
  Request& request = placed->second;
  std::string& datagram = request.datagram;
  datagram.assign(MC_UDP_HEADER_SIZE, '\0');
  writeFrameHeader(FrameHeader{*id, 0, 1, 0}, datagram.data());
  datagram += with_cas ? "gets" : "get";
  request.keys.clear();
  for (const std::string_view key : keys) {
    datagram += ' ';
    request.keys.push_back(KeyRef{static_cast<uint16_t>(datagram.size()), static_cast<uint8_t>(key.size()), false});
    datagram += key;
  }
  datagram += "\r\n";
  request.ticket = ticket;
  request.unanswered = keys.size();
  request.with_cas = with_cas;
  request.attempt = attempt;
  request.deadline = Clock::now() + options_.udp_timeout;
  request.assembly.reset();
  request.long_replies.clear();
  request.next_key = 0;
  ++operations_[ticket].requests;
  unsent_.push_back(*id);
}

bool UdpReader::progress() {
  completed_ = false;
  send();
  receive();
  expire();
  send();  // retries and keys asked alone
  return completed_;
}

void UdpReader::send() {
  size_t sent = 0;
  int failures = 0;
  while (sent < unsent_.size()) {
    const size_t count = std::min(kBatch, unsent_.size() - sent);
    Request* sending[kBatch];
    iovec iov[kBatch];
    mmsghdr headers[kBatch] = {};
    for (size_t i = 0; i < count; ++i) {
      sending[i] = &requests_.at(unsent_[sent + i]);
      std::string& datagram = sending[i]->datagram;
      iov[i] = iovec{datagram.data(), datagram.size()};
      headers[i].msg_hdr.msg_iov = &iov[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = sendmmsg(fd_.get(), headers, static_cast<unsigned>(count), 0);
    if (n > 0) {
      const auto deadline = Clock::now() + options_.udp_timeout;
      for (size_t i = 0; i < static_cast<size_t>(n); ++i) sending[i]->deadline = deadline;
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;  // the next progress() sends the rest
    // ECONNREFUSED reports an ICMP error for an earlier datagram. Past a few
    // failures the datagram is given up: its request times out.
    if (++failures >= kSendAttempts) {
      ++sent;
      failures = 0;
    }
  }
  unsent_.erase(unsent_.begin(), unsent_.begin() + static_cast<std::ptrdiff_t>(sent));
}

void UdpReader::receive() {
  for (int batch = 0; batch < kReceiveBatchesPerCall && !requests_.empty(); ++batch) {
    for (mmsghdr& header : receive_headers_) header.msg_hdr.msg_controllen = kControlSpace;
    const int n = recvmmsg(fd_.get(), receive_headers_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR || errno == ECONNREFUSED) continue;
      return;  // EAGAIN, or an error the deadlines turn into misses
    }
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      mmsghdr& received = receive_headers_[i];
      if (received.msg_hdr.msg_flags & MSG_TRUNC) {
        ++strays_;
        continue;
      }
      const std::string_view data(receive_buffer_.get() + i * kMaxReceive, received.msg_len);
      const size_t segment = groSegmentSize(received.msg_hdr).value_or(data.size());
      for (size_t at = 0; at < data.size(); at += segment) {
        const std::string_view datagram = data.substr(at, segment);
        if (datagram.size() > kMaxDatagram) {
          ++strays_;
        } else {
          onDatagram(datagram);
        }
      }
    }
    if (static_cast<size_t>(n) < kBatch) return;
  }
}

// The size of the datagrams GRO joined into this message, if it did.
std::optional<size_t> UdpReader::groSegmentSize(msghdr& header) {
  for (cmsghdr* control = CMSG_FIRSTHDR(&header); control != nullptr; control = CMSG_NXTHDR(&header, control)) {
    if (control->cmsg_level == SOL_UDP && control->cmsg_type == UDP_GRO) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(control), sizeof(size));
      if (size > 0) return static_cast<size_t>(size);
    }
  }
  return std::nullopt;
}

void UdpReader::onDatagram(std::string_view datagram) {
  const auto header = parseFrameHeader(datagram);
  const auto found = header ? requests_.find(header->request_id) : requests_.end();
  if (found == requests_.end() || header->reserved != 0 || header->total == 0 || header->sequence >= header->total) {
    ++strays_;
    return;
  }
  Request& request = found->second;
  const std::string_view payload = datagram.substr(MC_UDP_HEADER_SIZE);
  bool ends = false;
  if (request.keys.size() == 1) {
    if (request.assembly.isDuplicate(*header, payload)) return;
    const auto status = request.assembly.add(*header, payload);
    if (status == UdpReassembly::Status::kIncomplete) return;
    if (status == UdpReassembly::Status::kComplete) onMessage(request, request.assembly.message(), true, ends);
    return finish(header->request_id, false);
  }
  if (isWholeMessage(*header)) {
    onMessage(request, payload, false, ends);
  } else {
    // Only the first line of a longer message is used: the key it is for.
    if (header->sequence == 0 && payload.starts_with("VALUE ")) {
      const std::string_view rest = payload.substr(6);
      const std::string_view key = rest.substr(0, rest.find(' '));
      const auto at = findKey(request, key);
      if (at && !request.keys[*at].answered &&
          std::find(request.long_replies.begin(), request.long_replies.end(), key) == request.long_replies.end()) {
        request.long_replies.emplace_back(key);
      }
    }
    ends = header->sequence + 1 == header->total && payload.ends_with("\r\nEND\r\n");
  }
  if (ends || request.unanswered == 0) finish(header->request_id, false);
}

void UdpReader::onMessage(Request& request, std::string_view message, bool whole_reply_expected, bool& ends) {
  if (!parseGetReplyMessage(message, parsed_)) return;
  if (whole_reply_expected && (!parsed_.ends_reply || parsed_.values.size() > 1)) return;
  indexes_.clear();
  for (const ParsedValue& value : parsed_.values) {
    const auto at = findKey(request, value.key);
    // A key not asked, or a cas missing from gets (or sent to get): not a
    // reply to this request.
    if (!at || value.cas.has_value() != request.with_cas) return;
    indexes_.push_back(*at);
  }
  Operation& operation = operations_[request.ticket];
  for (size_t i = 0; i < indexes_.size(); ++i) {
    KeyRef& asked = request.keys[indexes_[i]];
    if (asked.answered) continue;
    asked.answered = true;
    --request.unanswered;
    deliverValue(parsed_.values[i], operation.sink, operation.result.items);
  }
  ends = parsed_.ends_reply;
}

std::optional<size_t> UdpReader::findKey(Request& request, std::string_view key) {
  const size_t count = request.keys.size();
  size_t at = request.next_key;
  for (size_t tried = 0; tried < count; ++tried, ++at) {
    if (at == count) at = 0;
    if (request.key(at) == key) {
      request.next_key = at + 1;
      return at;
    }
  }
  return std::nullopt;
}

void UdpReader::finish(uint16_t id, bool timed_out) {
  // Taken out but kept until the end: the keys asked again are views into
  // its datagram.
  Requests::node_type node = requests_.extract(id);
  Request& request = node.mapped();
  ids_.release(id);
  std::erase(unsent_, id);
  Operation& operation = operations_[request.ticket];
  --operation.requests;

  batch_.clear();
  for (size_t i = 0; i < request.keys.size(); ++i) {
    if (!request.keys[i].answered) batch_.push_back(request.key(i));
  }
  if (timed_out) {
    if (request.attempt < options_.udp_retries) {
      queueRequest(request.ticket, batch_, request.with_cas, request.attempt + 1);
    } else {
      operation.result.timed_out = true;
    }
  } else {
    for (const std::string& key : request.long_replies) {
      if (std::find(batch_.begin(), batch_.end(), key) != batch_.end()) {
        const std::string_view alone = key;
        queueRequest(request.ticket, {&alone, 1}, request.with_cas, request.attempt);
      }
    }
  }
  completed_ = completed_ || operation.requests == 0;
  if (spare_requests_.size() < kSpareRequests) spare_requests_.push_back(std::move(node));
}

void UdpReader::expire() {
  const auto now = Clock::now();
  std::vector<uint16_t> late;
  for (const auto& [id, request] : requests_) {
    if (request.deadline <= now) late.push_back(id);
  }
  for (const uint16_t id : late) finish(id, true);
}

std::optional<UdpReader::Clock::time_point> UdpReader::nextDeadline() const {
  std::optional<Clock::time_point> earliest;
  for (const auto& [id, request] : requests_) {
    if (!earliest || request.deadline < *earliest) earliest = request.deadline;
  }
  return earliest;
}

std::optional<GetResult> UdpReader::take(uint64_t ticket) {
  const auto found = operations_.find(ticket);
  if (found == operations_.end() || found->second.requests != 0) return std::nullopt;
  GetResult result = std::move(found->second.result);
  operations_.erase(found);
  return result;
}

}  // namespace unbuckle::client
