"""What the kernel-cache tests share: a server and a client namespace joined
by a veth (../afxdp/netns.py), unbuckle-xdp on the server end (native XDP,
--kernel-cache on or off), memcached beside it when a test wants an oracle,
and this process in the client namespace, its route to the server checked.
Also: the XDP program's counters, `stats`, and one-request UDP/TCP exchanges.
"""

import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "afxdp"))
import afxdp_differential  # noqa: E402
import mcharness as mc  # noqa: E402
import netns  # noqa: E402
from afxdp_daemon import PORT, SKIP, xdp_counters  # noqa: E402,F401

MEMCACHED_PORT = afxdp_differential.MEMCACHED_PORT


def start_memcached_with(net, options):
    """afxdp_differential's memcached, with `-o options` added."""
    argv = [mc.MEMCACHED, "-U", str(MEMCACHED_PORT), "-p", str(MEMCACHED_PORT),
            "-l", netns.SERVER_IP, "-m", "64", "-t", "2", "-u", "root", "-o", options]
    return mc.Server("memcached", net.server_exec(*argv), MEMCACHED_PORT, host=netns.SERVER_IP)


class KernelCacheServers:
    """Namespaces, the daemon (and memcached), the client side entered.
    Everything is stopped and removed by close(), also after a failure."""

    def __init__(self, daemon_path, xdp_pass, kernel_cache="on", memcached=False, daemon_args=(),
                 memcached_options=None):
        """memcached_options: its `-o` list, for a memcached started here
        with the same settings as the daemon's daemon_args."""
        self.net = netns.VethNamespaces(1, xdp_pass)
        self.daemon = self.memcached = None
        try:
            self.net.enter_client()
            self.daemon = afxdp_differential.start_daemon(self.net, daemon_path, kernel_cache,
                                                          daemon_args)
            if memcached_options:
                self.memcached = start_memcached_with(self.net, memcached_options)
            elif memcached:
                self.memcached = afxdp_differential.start_memcached(self.net)
        except BaseException:
            self.close()
            raise

    def counters(self):
        """The XDP program's counters, summed over CPUs."""
        return xdp_counters(self.net)

    def stats(self):
        """The daemon's `stats` as name -> int (or str)."""
        return {k: int(v) if v.isdigit() else v
                for k, v in mc.stats(PORT, host=netns.SERVER_IP).items()}

    def close(self):
        for server in (self.memcached, self.daemon):
            if server is not None:
                server.stop()
        self.net.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class UdpGetter:
    """One UDP socket to a server; one request outstanding at a time."""

    def __init__(self, port=PORT, timeout=1.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect((netns.SERVER_IP, port))
        self.sock.settimeout(timeout)
        self.req_id = os.getpid() & 0x7fff

    def request(self, payload):
        """The reply payload of a one-datagram reply (frame header checked),
        or None if none came within the timeout. Late replies to earlier
        requests are skipped by request id."""
        self.req_id = (self.req_id + 1) & 0xffff
        self.sock.send(mc.frame(self.req_id) + payload)
        deadline = time.monotonic() + self.sock.gettimeout()
        while time.monotonic() < deadline:
            try:
                d = mc.parse_datagram(self.sock.recv(65536))
            except socket.timeout:
                return None
            if d.req_id == self.req_id:
                if (d.seq, d.total, d.reserved) != (0, 1, 0):
                    return b"<frame header %d %d %d>" % (d.seq, d.total, d.reserved) + d.payload
                return d.payload
        return None

    def close(self):
        self.sock.close()


def tcp_request(client, data, terminator):
    """`data` over a TcpClient, read until the reply ends with `terminator`."""
    return client.request(data, done=lambda r: r.endswith(terminator), deadline=3.0)
