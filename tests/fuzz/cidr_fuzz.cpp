// The --allow prefix parser (config/cidr.h) on any text: an accepted
// prefix prints as text that parses back to the same prefix, with a prefix
// length inside its family's address size.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/cidr.h"
#include "finding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using unbuckle::config::Cidr;
  using unbuckle::fuzz::finding;
  const auto cidr = Cidr::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!cidr) return 0;
  if (cidr->family() != AF_INET && cidr->family() != AF_INET6) finding("accepted prefix of no family");
  if (cidr->prefixLength() > (cidr->family() == AF_INET ? 32u : 128u)) finding("prefix longer than its address");
  const std::string text = cidr->toString();
  const auto again = Cidr::parse(text);
  if (!again || !(*again == *cidr)) finding("prefix does not survive its own text: " + text);
  return 0;
}
