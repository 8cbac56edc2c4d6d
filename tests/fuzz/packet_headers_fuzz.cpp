// The AF_XDP request parser (afxdp/packet_headers.h) on arbitrary frames.
// An accepted frame must have its UDP payload inside the frame and inside
// the IP payload; the reply headers built from it, stamped in front of that
// payload, must parse again as the mirror image of the request (addresses,
// ports and MACs swapped, the same VLAN tag, the same payload) with valid
// IPv4 and UDP checksums. Any other outcome aborts.
#include <arpa/inet.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "afxdp/internet_checksum.h"
#include "afxdp/packet_headers.h"
#include "finding.h"
#include "unbuckle/mc_udp.h"

namespace unbuckle::fuzz {
namespace {

using afxdp::RequestHeaders;

// The reply's destination is the request's source: it parses again only
// when that is one host.
bool sourceIsUnicast(const RequestHeaders& request) {
  if ((request.source_mac[0] & 0x01) != 0) return false;
  return request.ipv6 ? request.source_address[0] != 0xff : request.source_address[0] < 224;
}

void checkUdpChecksum(const RequestHeaders& reply, const uint8_t* udp, size_t udp_length) {
  const size_t address_size = reply.ipv6 ? 16 : 4;
  uint64_t sum = afxdp::checksumAdd(0, reply.source_address.data(), address_size);
  sum = afxdp::checksumAdd(sum, reply.destination_address.data(), address_size);
  sum += htons(IPPROTO_UDP);
  sum += htons(static_cast<uint16_t>(udp_length));
  sum = afxdp::checksumAdd(sum, udp, udp_length);
  if (afxdp::checksumFinish(sum) != 0) finding("reply UDP checksum does not verify");
}

void checkReply(const RequestHeaders& request, std::span<const uint8_t> payload) {
  const afxdp::ReplyHeaders headers(request);
  if (headers.size() > afxdp::ReplyHeaders::kMaxSize) finding("reply headers over kMaxSize");
  std::vector<uint8_t> frame(headers.size() + payload.size());
  std::memcpy(frame.data() + headers.size(), payload.data(), payload.size());
  headers.write(frame.data(), payload.size(), 0x1234);
  if (!sourceIsUnicast(request)) return;
  const auto reply = afxdp::parseRequestHeaders(frame);
  if (!reply) finding("the reply to an accepted request does not parse");
  if (reply->source_mac != request.destination_mac || reply->destination_mac != request.source_mac ||
      reply->has_vlan != request.has_vlan || reply->vlan_tpid != request.vlan_tpid ||
      reply->vlan_tci != request.vlan_tci || reply->ipv6 != request.ipv6 ||
      reply->source_address != request.destination_address ||
      reply->destination_address != request.source_address ||
      reply->source_port != request.destination_port || reply->destination_port != request.source_port) {
    finding("reply headers are not the request's mirror image");
  }
  if (reply->payload_offset != headers.size() || reply->payload_length != payload.size() ||
      std::memcmp(frame.data() + reply->payload_offset, payload.data(), payload.size()) != 0) {
    finding("reply payload moved or changed");
  }
  checkUdpChecksum(*reply, frame.data() + headers.size() - 8, 8 + payload.size());
}

}  // namespace
}  // namespace unbuckle::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace unbuckle::fuzz;
  const std::span<const uint8_t> frame(data, size);
  const auto request = unbuckle::afxdp::parseRequestHeaders(frame);
  if (!request) return 0;
  // Ethernet + IPv4 + UDP is the smallest accepted frame.
  if (request->payload_offset < 14 + 20 + 8 || request->payload_offset > size ||
      request->payload_length > size - request->payload_offset) {
    finding("accepted payload outside the frame");
  }
  // A reply carries at most one datagram's payload; the request's own
  // payload bytes are as good as any.
  const size_t length = std::min<size_t>(request->payload_length, MC_UDP_MAX_PAYLOAD);
  checkReply(*request, frame.subspan(request->payload_offset, length));
  return 0;
}
