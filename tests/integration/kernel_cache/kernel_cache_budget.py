#!/usr/bin/python3
"""The reply budget of the kernel cache's hits (bpf/reply_budget.h), on a veth
in namespaces made by this test: the daemon with --kernel-cache on and a
small budget (--udp-reply-rate 16k --udp-reply-burst 16k).

A flood of 2,000 `get hot` (a 150-byte value, answered by XDP: on a veth a
reply that small fits the frame) from 10.202.0.2 within about 2 s draws no
more than its budget from XDP, counted on the client: burst + rate x time +
one reply (<= 1400 bytes) per CPU. Unbudgeted it would draw about 360 KB.
The excess is dropped in XDP and counted (xdp_kc_drop_over_budget,
kernel_cache_dropped_over_budget, udp_dropped_over_budget), never reaches
AF_XDP (afxdp_rx_frames does not move), while a second source, 10.202.0.3,
gets every one of its answers meanwhile. Then the same from fd20:202::2,
with fd20:202::3 as the second source: the IPv6 buckets are keyed and
enforced alike.

Needs root; exits 77 (skipped) otherwise. About 10 s.
"""

import argparse
import os
import socket
import sys
import time

from kernel_cache_setup import SKIP, KernelCacheServers, mc, netns, tcp_request, PORT

RATE = 16 << 10
BURST = 16 << 10
VALUE = b"h" * 150
HIT = b"VALUE hot 0 %d\r\n%s\r\nEND\r\n" % (len(VALUE), VALUE)
FLOOD = 2000
FLOOD_SECONDS = 2.0
# (family, flooding source, second source)
SOURCES = ((socket.AF_INET, netns.CLIENT_IP, "10.202.0.3"),
           (socket.AF_INET6, netns.CLIENT_IP6, "fd20:202::3"))
OTHER_EVERY = 100   # the second source asks once per this many flood requests
failures = []


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        failures.append(message)


def udp_socket(family, source):
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((source, 0))
    sock.connect((netns.SERVER_IP if family == socket.AF_INET else netns.SERVER_IP6, PORT))
    return sock


def drain(sock):
    """Bytes of the datagrams waiting on the non-blocking `sock`."""
    received = 0
    while True:
        try:
            received += len(sock.recv(65536))
        except BlockingIOError:
            return received


def ask(sock, req_id):
    """One `get hot` from the second source; whether its exact answer came
    within a second."""
    sock.send(mc.frame(req_id) + b"get hot\r\n")
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            d = mc.parse_datagram(sock.recv(65536))
        except socket.timeout:
            return False
        if d.req_id == req_id:
            return d.payload == HIT
    return False


def flood(servers, family, source, other_source):
    """2,000 gets from `source`, paced over 2 s, one from `other_source` per
    OTHER_EVERY of them; checks what each drew and what XDP counted."""
    counters = servers.counters()
    stats = servers.stats()
    flooder = udp_socket(family, source)
    flooder.setblocking(False)
    other = udp_socket(family, other_source)
    received = 0
    answered = 0
    start = time.monotonic()
    for i in range(FLOOD):
        flooder.send(mc.frame(i) + b"get hot\r\n")
        received += drain(flooder)
        if i % OTHER_EVERY == 0:
            answered += ask(other, 40000 + i)
        # Paced over FLOOD_SECONDS, so the refill is part of the bound.
        lag = start + FLOOD_SECONDS * (i + 1) / FLOOD - time.monotonic()
        if lag > 0:
            time.sleep(lag)
    elapsed = time.monotonic() - start
    time.sleep(0.3)
    received += drain(flooder)
    flooder.close()
    other.close()

    after = servers.counters()
    stats_after = servers.stats()
    # Every CPU may have one reply in flight when the bucket runs out.
    bound = BURST + RATE * elapsed + os.cpu_count() * 1400
    unbudgeted = FLOOD * (8 + len(HIT))
    dropped = after["kc_drop_over_budget"] - counters["kc_drop_over_budget"]
    hits = after["kc_hit"] - counters["kc_hit"]
    print(f"flood: {FLOOD} gets of a {len(VALUE)}-byte value in {elapsed:.1f} s from {source}: "
          f"client received {received} B (bound {bound:.0f} B, unbudgeted {unbudgeted} B), "
          f"XDP answered {hits} hits in all and dropped {dropped}; {other_source} answered "
          f"{answered}/{FLOOD // OTHER_EVERY}", flush=True)
    check(received <= bound, f"{source} drew {received} B, its budget is {bound:.0f} B")
    check(received >= BURST, f"{source} drew at least its burst ({received} B)")
    check(dropped > 0 and dropped + hits == FLOOD + FLOOD // OTHER_EVERY,
          f"every get was a kernel-cache hit or dropped over budget ({hits} + {dropped})")
    check(stats_after["afxdp_rx_frames"] == stats["afxdp_rx_frames"],
          f"no get reached AF_XDP ({stats['afxdp_rx_frames']} -> {stats_after['afxdp_rx_frames']})")
    for name in ("kernel_cache_dropped_over_budget", "udp_dropped_over_budget"):
        check(stats_after[name] - stats[name] == dropped, f"stats {name} counts the {dropped} drops")
    check(answered == FLOOD // OTHER_EVERY,
          f"{other_source} got {answered} of {FLOOD // OTHER_EVERY} answers during the flood")


def run(args):
    budget = ["--udp-reply-rate", str(RATE), "--udp-reply-burst", str(BURST),
              "--allow", "fd20:202::/64"]
    with KernelCacheServers(args.daemon, args.xdp_pass, daemon_args=budget) as servers:
        for family, _, other_source in SOURCES:
            flags = () if family == socket.AF_INET else ("nodad",)
            prefix = 24 if family == socket.AF_INET else 64
            netns.run("ip", "-n", servers.net.client, "addr", "add", f"{other_source}/{prefix}",
                      "dev", netns.CLIENT_IF, *flags)
        client = mc.TcpClient(PORT, netns.SERVER_IP)
        try:
            reply = tcp_request(client, b"set hot 0 0 %d\r\n%s\r\n" % (len(VALUE), VALUE), b"\r\n")
        finally:
            client.close()
        check(reply == b"STORED\r\n", f"set hot over TCP: {reply!r}")
        for family, source, other_source in SOURCES:
            flood(servers, family, source, other_source)
    print(f"kernel_cache_budget: {len(failures)} failures")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--xdp-pass", required=True)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root: skipped")
        return SKIP
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
