"""Network namespaces for the AF_XDP tests: a server and a client namespace
joined by a veth pair (both ends inside them), static neighbours, an XDP pass
program on the client end, a private bpffs for the daemon's pins, all made by
the test and removed by close() even when the test fails.

The client side runs in this process: enter_client() moves the calling
thread into the client namespace (setns) and checks that it really is there
and that its route to the server goes over the veth, so a harness bug can
never send test traffic out of the host's own interfaces.
"""

import ctypes
import os
import subprocess
import tempfile
import time

CLONE_NEWNET = 0x40000000
SERVER_IF = "ubx0"
CLIENT_IF = "ubx1"
SERVER_MAC = "02:00:00:c9:01:01"
CLIENT_MAC = "02:00:00:c9:01:02"
SERVER_IP = "10.202.0.1"
CLIENT_IP = "10.202.0.2"
SERVER_IP6 = "fd20:202::1"
CLIENT_IP6 = "fd20:202::2"

_libc = ctypes.CDLL(None, use_errno=True)


def run(*argv, check=True):
    """Runs a command; returns its stdout. Raises with its stderr on failure."""
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {proc.stderr.strip()}")
    return proc.stdout


def _mld_reports_sent(ns, ifname):
    for line in run("ip", "netns", "exec", ns, "cat", f"/proc/net/dev_snmp6/{ifname}").splitlines():
        name, _, value = line.partition(" ")
        if name == "Icmp6OutMLDv2Reports":
            return int(value)
    raise RuntimeError(f"no Icmp6OutMLDv2Reports for {ifname} in {ns}")


def _setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")
    finally:
        os.close(fd)


class VethNamespaces:
    def __init__(self, queues=1, xdp_pass_object=None, mtu=None, prefix="ubx"):
        """`prefix` starts the namespace names, so that tests running side
        by side can tell theirs apart."""
        tag = f"{os.getpid()}"
        self.server = f"{prefix}s{tag}"
        self.client = f"{prefix}c{tag}"
        self.bpffs = tempfile.mkdtemp(prefix="ubx-bpffs-")
        self.pin_path = os.path.join(self.bpffs, "unbuckle-xdp")
        self._original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        self._mounted = False
        try:
            self._create(queues, xdp_pass_object, mtu)
        except BaseException:
            self.close()
            raise

    def _create(self, queues, xdp_pass_object, mtu):
        s, c, q = self.server, self.client, str(queues)
        run("ip", "netns", "add", s)
        run("ip", "netns", "add", c)
        run("ip", "link", "add", SERVER_IF, "numrxqueues", q, "numtxqueues", q, "netns", s,
            "type", "veth", "peer", "name", CLIENT_IF, "numrxqueues", q, "numtxqueues", q,
            "netns", c)
        for ns, ifname, mac, ip, ip6, peer_ip, peer_ip6, peer_mac in (
                (s, SERVER_IF, SERVER_MAC, SERVER_IP, SERVER_IP6, CLIENT_IP, CLIENT_IP6, CLIENT_MAC),
                (c, CLIENT_IF, CLIENT_MAC, CLIENT_IP, CLIENT_IP6, SERVER_IP, SERVER_IP6, SERVER_MAC)):
            run("ip", "-n", ns, "link", "set", ifname, "address", mac)
            if mtu:
                run("ip", "-n", ns, "link", "set", ifname, "mtu", str(mtu))
            self._quiet_ipv6(ns, ifname)
            run("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", ifname)
            run("ip", "-n", ns, "addr", "add", f"{ip6}/64", "dev", ifname, "nodad")
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "link", "set", ifname, "up")
            for addr in (peer_ip, peer_ip6):
                run("ip", "-n", ns, "neigh", "add", addr, "lladdr", peer_mac, "dev", ifname,
                    "nud", "permanent")
        self._settle_ipv6()
        if xdp_pass_object:
            run("ip", "-n", c, "link", "set", "dev", CLIENT_IF, "xdpdrv", "obj", xdp_pass_object,
                "sec", "xdp")
        # `ip netns exec` remounts /sys, so the daemon pins into a bpffs of
        # our own under /tmp, which stays visible to it and to us.
        run("mount", "-t", "bpf", "bpf", self.bpffs)
        self._mounted = True

    @staticmethod
    def _quiet_ipv6(ns, ifname):
        """No link-local address (its DAD and router solicitation, and the
        MLD reports that follow, went on for 2.5 s after link up) and MLD's
        unsolicited reports sent at once: a stray IPv6 packet with a
        hop-by-hop header moved the server's counters in a test's window."""
        run("ip", "-n", ns, "link", "set", ifname, "addrgenmode", "none")
        run("ip", "netns", "exec", ns, "sysctl", "-q", "-w",
            f"net.ipv6.conf.{ifname}.mldv1_unsolicited_report_interval=0",
            f"net.ipv6.conf.{ifname}.mldv2_unsolicited_report_interval=0")

    def _settle_ipv6(self, timeout=3.0):
        """Waits until both ends have sent MLD's unsolicited reports
        (robustness 2: two each) and then nothing more for 0.2 s."""
        ends = ((self.server, SERVER_IF), (self.client, CLIENT_IF))
        deadline = time.monotonic() + timeout
        last, still_since = None, time.monotonic()
        while time.monotonic() < deadline:
            sent = tuple(_mld_reports_sent(ns, ifname) for ns, ifname in ends)
            if sent != last:
                last, still_since = sent, time.monotonic()
            elif min(sent) >= 2 and time.monotonic() - still_since >= 0.2:
                return
            time.sleep(0.02)
        raise RuntimeError(f"IPv6 on the veth pair did not settle in {timeout} s: MLD reports "
                           f"sent {last}")

    def enter_client(self):
        self._enter(self.client, SERVER_IP, CLIENT_IF)

    def enter_server(self):
        """For clients of the server's own lo."""
        self._enter(self.server, "127.0.0.1", "lo")

    def _enter(self, name, destination, interface):
        path = f"/run/netns/{name}"
        _setns(path)
        if os.stat(path).st_ino != os.stat("/proc/thread-self/ns/net").st_ino:
            raise RuntimeError(f"this thread is not in {name} after setns")
        # The route lookup runs in this thread's namespace, as the sockets will.
        route = run("ip", "route", "get", destination)
        if f"dev {interface}" not in route:
            raise RuntimeError(f"route to {destination} from {name} is not over {interface}: {route}")

    def leave(self):
        if _libc.setns(self._original, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back to the original namespace")

    def server_exec(self, *argv):
        """argv to run a command inside the server namespace."""
        return ["ip", "netns", "exec", self.server, *argv]

    def server_exec_bpffs(self, *argv):
        """server_exec() for the daemon: `ip netns exec` gives it a fresh /sys
        without bpffs, which libxdp wants at /sys/fs/bpf, so one is mounted
        there first, in that mount namespace only (pins go to --pin-path)."""
        return self.server_exec("sh", "-c", 'mount -t bpf bpf /sys/fs/bpf && exec "$0" "$@"',
                                *argv)

    def xdp_attached(self, interface=SERVER_IF):
        """Whether `interface` of the server namespace has an XDP program."""
        return " xdp" in run("ip", "-n", self.server, "-d", "link", "show", "dev", interface)

    def close(self):
        try:
            self.leave()
        except OSError:
            pass
        if self._mounted:
            run("umount", self.bpffs, check=False)
        try:
            os.rmdir(self.bpffs)
        except OSError:
            pass
        run("ip", "netns", "del", self.server, check=False)
        run("ip", "netns", "del", self.client, check=False)
        os.close(self._original)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
