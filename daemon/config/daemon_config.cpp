#include "config/daemon_config.h"

namespace unbuckle::config {

std::vector<Cidr> defaultAllow() {
  std::vector<Cidr> allow;
  for (const std::string& text : kDefaultAllow) {
    allow.push_back(*Cidr::parse(text));
  }
  return allow;
}

}  // namespace unbuckle::config
