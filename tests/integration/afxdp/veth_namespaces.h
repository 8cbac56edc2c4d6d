// Two network namespaces joined by a veth pair, made by one test and
// deleted with it. The server end (ubx0) is for the datapath under test; the
// client end (ubx1) carries an XDP pass program and the test's clients.
// Optionally a second pair the same way (ubx2, ubx3; IPv4 only). Static
// neighbours, so no ARP/ND is needed; a private bpffs for the pins.
#pragma once

#include <string>

namespace unbuckle::testing {

class VethNamespaces {
 public:
  static constexpr const char* kServerInterface = "ubx0";
  static constexpr const char* kClientInterface = "ubx1";
  static constexpr const char* kServerIpv4 = "10.201.0.1";
  static constexpr const char* kClientIpv4 = "10.201.0.2";
  static constexpr const char* kServerIpv6 = "fd20:201::1";
  static constexpr const char* kClientIpv6 = "fd20:201::2";
  static constexpr const char* kSecondServerInterface = "ubx2";
  static constexpr const char* kSecondClientInterface = "ubx3";
  static constexpr const char* kSecondServerIpv4 = "10.202.0.1";

  // `queues` RX and TX queues on each end. error() says what failed.
  explicit VethNamespaces(unsigned queues, bool second_pair = false);
  ~VethNamespaces();
  VethNamespaces(const VethNamespaces&) = delete;
  VethNamespaces& operator=(const VethNamespaces&) = delete;

  const std::string& error() const { return error_; }
  const std::string& pinRoot() const { return pin_root_; }

  // Moves the calling thread into a namespace (only that thread). False
  // (and error() set) when the thread did not end up where it should: a
  // client must never send from the host's own namespace.
  bool enterServer();
  bool enterClient();

 private:
  bool enter(const std::string& name);
  bool run(const std::string& command);

  std::string server_;
  std::string client_;
  std::string pin_root_;
  std::string error_;
  bool mounted_ = false;
  int original_ = -1;
};

}  // namespace unbuckle::testing
