#!/usr/bin/python3
"""The reply budget per source and the admin commands over UDP (issue 12),
on either datapath of the UDP workers:

- a flood of small `get`s for a 100 KB item from one source draws no more
  than its budget (bytes counted on the client and in the server's
  bytes_written), the excess counted in udp_dropped_over_budget, while a
  second source keeps getting its answers;
- `stats` over UDP is refused by default with "CLIENT_ERROR stats not
  allowed over UDP" (and, with the socket backend, answered with
  --udp-admin on).

--backend socket (the default): on loopback, 2 workers, 127.0.0.1 floods,
127.0.0.2 is the second source.

--backend afxdp --xdp-pass OBJ: on a veth in namespaces made by the test
(afxdp/netns.py, this process in the client namespace, its route to the
server checked), the daemon on the server end with native XDP and one queue
(one AF_XDP worker), the kernel cache off so that the workers' budget
alone decides; 10.202.0.2 floods, 10.202.0.3 is the second source, then
the same over IPv6 from fd20:202::2 and fd20:202::3. afxdp_rx_frames must
count every request: the floods went through AF_XDP, not the kernel's
socket. Needs root; exits 77 (skipped) otherwise.

Bounded: each flood 400 requests in about 2.5 s. Python 3 standard library
only.
"""

import argparse
import contextlib
import os
import select
import socket
import sys
import time

import mcharness as mc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "afxdp"))
import afxdp_differential  # noqa: E402
import netns  # noqa: E402

RATE = 256 << 10
BURST = 256 << 10
VALUE = b"v" * 100_000
FLOOD = 400
FLOOD_SECONDS = 2.0
OTHER_EVERY = 40   # the second source asks once per this many flood requests
SKIP = 77


class Setup:
    """A running daemon with a small budget: `server` (TCP and IPv4 UDP at
    server.host, IPv6 UDP at `server_ip6`), `floods` the (flooding source,
    second source) pairs of addresses its UDP clients send from, `workers`
    UDP workers, `afxdp` whether they are AF_XDP workers."""

    def __init__(self, server, server_ip6, floods, workers, afxdp):
        self.server = server
        self.server_ip6 = server_ip6
        self.floods = floods
        self.workers = workers
        self.afxdp = afxdp

    def stats(self):
        stats = mc.stats(self.server.port, host=self.server.host)
        return {k: int(v) if v.isdigit() else v for k, v in stats.items()}

    def client(self, source):
        """A UDP client of the daemon bound to `source`, IPv4 or IPv6."""
        client = mc.UdpClient(self.server.port, host=self.server.host)
        client.sock.close()
        family = socket.AF_INET6 if ":" in source else socket.AF_INET
        if family == socket.AF_INET6:
            client.addr = (self.server_ip6, self.server.port, 0, 0)   # as recvfrom() names it
        client.sock = socket.socket(family, socket.SOCK_DGRAM)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, mc.UDP_RECV_BUFFER)
        client.sock.bind((source, 0))
        client.sock.setblocking(False)
        return client


BUDGET_ARGS = ["--udp-reply-rate", str(RATE), "--udp-reply-burst", str(BURST)]


@contextlib.contextmanager
def socket_backend(daemon, udp_admin):
    threads = 2
    with mc.Server.daemon(daemon, threads=threads, udp_admin=udp_admin, extra=BUDGET_ARGS) as server:
        yield Setup(server, None, [(mc.HOST, "127.0.0.2")], threads, False)


@contextlib.contextmanager
def afxdp_backend(daemon, xdp_pass):
    other, other6 = "10.202.0.3", "fd20:202::3"
    with netns.VethNamespaces(1, xdp_pass, prefix="udpb") as net:
        netns.run("ip", "-n", net.client, "addr", "add", f"{other}/24", "dev", netns.CLIENT_IF)
        netns.run("ip", "-n", net.client, "addr", "add", f"{other6}/64", "dev", netns.CLIENT_IF, "nodad")
        net.enter_client()
        server = afxdp_differential.start_daemon(net, daemon, "off",
                                                 [*BUDGET_ARGS, "--allow", "fd20:202::/64"], udp_admin="off")
        try:
            floods = [(netns.CLIENT_IP, other), (netns.CLIENT_IP6, other6)]
            yield Setup(server, netns.SERVER_IP6, floods, 1, True)
        finally:
            server.stop()


def udp_reply(client, payload, req_id, timeout=2.0):
    """The reply to one request: its datagrams' payloads in order, once all
    `total` of them arrived, or b"" if they did not within `timeout`."""
    client.send(payload, req_id)
    datagrams = {}
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        select.select([client.sock], [], [], left)
        for d in client.drain():
            if d.req_id == req_id:
                datagrams[d.seq] = d
        if datagrams and len(datagrams) == next(iter(datagrams.values())).total:
            return b"".join(datagrams[seq].payload for seq in sorted(datagrams))
    return b""


def store_items(setup):
    tcp = mc.TcpClient(setup.server.port, setup.server.host)
    tcp.request(b"set big 0 0 %d\r\n%s\r\n" % (len(VALUE), VALUE), done=lambda r: r.endswith(b"\r\n"))
    tcp.request(b"set small 0 0 2\r\nok\r\n", done=lambda r: r.endswith(b"\r\n"))
    tcp.close()


def flood_test(setup, flooder_source, other_source):
    before = setup.stats()
    flooder = setup.client(flooder_source)
    other = setup.client(other_source)
    received = 0
    answered = 0
    start_time = time.monotonic()
    for i in range(FLOOD):
        flooder.send(b"get big\r\n", i)
        received += sum(8 + len(d.payload) for d in flooder.drain())
        if i % OTHER_EVERY == 0:
            reply = udp_reply(other, b"get small\r\n", 60000 + i, timeout=1.0)
            answered += reply == b"VALUE small 0 2\r\nok\r\nEND\r\n"
        time.sleep(FLOOD_SECONDS / FLOOD)
    received += sum(8 + len(d.payload) for d in flooder.collect(quiet=0.3, deadline=3.0))
    elapsed = time.monotonic() - start_time
    after = setup.stats()
    flooder.close()
    other.close()
    written = after["bytes_written"] - before["bytes_written"]
    dropped = after["udp_dropped_over_budget"] - before["udp_dropped_over_budget"]

    # Each worker's bucket: its burst, the refill, and one reply below zero.
    bound = setup.workers * (BURST + RATE * elapsed + len(VALUE) + 2000) + answered * 100
    print(f"flood: {FLOOD} gets of {len(VALUE)} B in {elapsed:.1f} s from {flooder_source}: client received "
          f"{received} B, server wrote {written} B, bound {bound:.0f} B, {dropped} dropped over budget, "
          f"{other_source} answered {answered}/{FLOOD // OTHER_EVERY}")
    if received > bound or written > bound:
        mc.fail(f"{flooder_source} drew {max(received, written)} B, more than its budget of {bound:.0f} B")
    if dropped == 0:
        mc.fail("udp_dropped_over_budget stayed 0 under the flood")
    if answered != FLOOD // OTHER_EVERY:
        mc.fail(f"{other_source} got {answered} of {FLOOD // OTHER_EVERY} answers during the flood")
    if setup.afxdp:
        rx = after["afxdp_rx_frames"] - before["afxdp_rx_frames"]
        print(f"flood: afxdp_rx_frames +{rx}")
        if rx < FLOOD + FLOOD // OTHER_EVERY:
            mc.fail(f"afxdp_rx_frames grew by {rx}: not every request went through AF_XDP")


def stats_refused(setup):
    client = setup.client(setup.floods[0][0])
    reply = udp_reply(client, b"stats\r\n", 7)
    client.close()
    if reply != b"CLIENT_ERROR stats not allowed over UDP\r\n":
        mc.fail(f"stats over UDP by default: {reply[:80]!r}")


def socket_test(daemon):
    # The harness turns --udp-admin on for the differential tests: off is the
    # daemon's default, given here explicitly.
    with socket_backend(daemon, "off") as setup:
        stats_refused(setup)
        store_items(setup)
        flood_test(setup, *setup.floods[0])
    with socket_backend(daemon, "on") as setup:
        client = setup.client(setup.floods[0][0])
        reply = udp_reply(client, b"stats\r\n", 8)
        client.close()
        if not reply.startswith(b"STAT pid "):
            mc.fail(f"stats over UDP with --udp-admin on: {reply[:80]!r}")
    print("admin: stats over UDP refused by default, answered with --udp-admin on")


def afxdp_test(daemon, xdp_pass):
    with afxdp_backend(daemon, xdp_pass) as setup:
        stats_refused(setup)
        print("admin: stats over UDP through AF_XDP refused by default")
        store_items(setup)
        for flooder_source, other_source in setup.floods:
            flood_test(setup, flooder_source, other_source)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--backend", choices=("socket", "afxdp"), default="socket")
    parser.add_argument("--xdp-pass", help="the client end's XDP program (--backend afxdp)")
    args = parser.parse_args()
    if args.backend == "socket":
        socket_test(args.daemon)
    else:
        if not args.xdp_pass:
            parser.error("--backend afxdp needs --xdp-pass")
        if os.geteuid() != 0:
            print("needs root: skipped")
            return SKIP
        afxdp_test(args.daemon, args.xdp_pass)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
