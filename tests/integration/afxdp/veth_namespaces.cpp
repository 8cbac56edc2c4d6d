#include "veth_namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace unbuckle::testing {

VethNamespaces::VethNamespaces(unsigned queues, bool second_pair) {
  const std::string id = std::to_string(getpid());
  server_ = "ubxs" + id;
  client_ = "ubxc" + id;
  pin_root_ = "/tmp/" + server_ + "-bpffs";
  original_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const std::string q = std::to_string(queues);
  const std::string s = "ip -n " + server_ + " ";
  const std::string c = "ip -n " + client_ + " ";
  const bool ok =
      run("ip netns add " + server_) && run("ip netns add " + client_) &&
      run("ip link add ubx0 numrxqueues " + q + " numtxqueues " + q + " netns " + server_ +
          " type veth peer name ubx1 numrxqueues " + q + " numtxqueues " + q + " netns " + client_) &&
      run(s + "link set ubx0 address 02:00:00:c9:00:01") &&
      run(c + "link set ubx1 address 02:00:00:c9:00:02") &&
      run(s + "addr add 10.201.0.1/24 dev ubx0") && run(c + "addr add 10.201.0.2/24 dev ubx1") &&
      run(s + "addr add fd20:201::1/64 dev ubx0 nodad") &&
      run(c + "addr add fd20:201::2/64 dev ubx1 nodad") &&
      run(s + "neigh add 10.201.0.2 lladdr 02:00:00:c9:00:02 dev ubx0 nud permanent") &&
      run(c + "neigh add 10.201.0.1 lladdr 02:00:00:c9:00:01 dev ubx1 nud permanent") &&
      run(s + "neigh add fd20:201::2 lladdr 02:00:00:c9:00:02 dev ubx0 nud permanent") &&
      run(c + "neigh add fd20:201::1 lladdr 02:00:00:c9:00:01 dev ubx1 nud permanent") &&
      run(s + "link set lo up") && run(c + "link set lo up") && run(s + "link set ubx0 up") &&
      run(c + "link set ubx1 up") &&
      run(c + "link set dev ubx1 xdpdrv obj " XDP_PASS_OBJECT " sec xdp");
  const bool second_ok =
      !second_pair ||
      (run("ip link add ubx2 numrxqueues " + q + " numtxqueues " + q + " netns " + server_ +
           " type veth peer name ubx3 numrxqueues " + q + " numtxqueues " + q + " netns " + client_) &&
       run(s + "link set ubx2 address 02:00:00:ca:00:01") && run(c + "link set ubx3 address 02:00:00:ca:00:02") &&
       run(s + "addr add 10.202.0.1/24 dev ubx2") && run(c + "addr add 10.202.0.2/24 dev ubx3") &&
       run(s + "neigh add 10.202.0.2 lladdr 02:00:00:ca:00:02 dev ubx2 nud permanent") &&
       run(c + "neigh add 10.202.0.1 lladdr 02:00:00:ca:00:01 dev ubx3 nud permanent") &&
       run(s + "link set ubx2 up") && run(c + "link set ubx3 up") &&
       run(c + "link set dev ubx3 xdpdrv obj " XDP_PASS_OBJECT " sec xdp"));
  if (!ok || !second_ok) {
    return;
  }
  std::filesystem::create_directories(pin_root_);
  if (mount("bpf", pin_root_.c_str(), "bpf", 0, nullptr) != 0) {
    error_ = "cannot mount a private bpffs on " + pin_root_;
    return;
  }
  mounted_ = true;
}

VethNamespaces::~VethNamespaces() {
  if (original_ >= 0) {
    setns(original_, CLONE_NEWNET);
    close(original_);
  }
  if (mounted_) {
    umount(pin_root_.c_str());
  }
  std::error_code ec;
  std::filesystem::remove_all(pin_root_, ec);
  // Deleting a namespace deletes the veth pair in it.
  std::system(("ip netns del " + server_ + " 2>/dev/null").c_str());
  std::system(("ip netns del " + client_ + " 2>/dev/null").c_str());
}

bool VethNamespaces::run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) == 0) {
    return true;
  }
  if (error_.empty()) {
    error_ = "failed: " + command;
  }
  return false;
}

bool VethNamespaces::enterServer() { return enter(server_); }
bool VethNamespaces::enterClient() { return enter(client_); }

bool VethNamespaces::enter(const std::string& name) {
  const std::string path = "/run/netns/" + name;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    error_ = "cannot enter " + name;
    if (fd >= 0) {
      close(fd);
    }
    return false;
  }
  close(fd);
  struct stat wanted {};
  struct stat current {};
  if (stat(path.c_str(), &wanted) != 0 || stat("/proc/thread-self/ns/net", &current) != 0 ||
      wanted.st_ino != current.st_ino) {
    error_ = "this thread is not in " + name + " after setns()";
    return false;
  }
  return true;
}

}  // namespace unbuckle::testing
