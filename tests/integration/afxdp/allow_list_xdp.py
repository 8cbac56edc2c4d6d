#!/usr/bin/python3
"""The allow list in XDP, on a veth in namespaces made by this test: the
daemon allows 10.202.0.2 and fd20:202::2 only. The client namespace has a
second address of each family outside the list. From the allowed addresses
memcached UDP gets are answered through AF_XDP; from the others there is no
reply at all, the AF_XDP RX counter (afxdp_rx_frames in `stats` over TCP)
does not move and xdp_drop_denied counts every one; a get too long for the
MTU, sent in IP fragments, is answered from an allowed address and dropped
in XDP at its first fragment from the others (the workers' own check,
udp_dropped_denied, never sees it). `unbucklectl allow`
then widens the list at run time (the other addresses are answered), shows
it, and narrows it again (they are dropped again).

Needs root; exits 77 (skipped) otherwise.
"""

import argparse
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import afxdp_daemon as ad  # noqa: E402
import mcharness as mc  # noqa: E402
import netns  # noqa: E402

DENIED_IP = "10.202.0.3"
DENIED_IP6 = "fd20:202::3"
REQUESTS = 20
failures = []


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        failures.append(message)


def gets_from(source, family):
    """REQUESTS UDP gets of k from `source`, sent together; the reply
    payloads that came within half a second of the last answer."""
    server = netns.SERVER_IP if family == socket.AF_INET else netns.SERVER_IP6
    replies = []
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.connect((server, ad.PORT))
        for req_id in range(REQUESTS):
            sock.send(mc.frame(req_id) + b"get k\r\n")
        sock.settimeout(0.5)
        try:
            while len(replies) < REQUESTS:
                replies.append(mc.parse_datagram(sock.recv(65536)).payload)
        except socket.timeout:
            pass
    return replies


def fragmented_get_from(source, family):
    """One multi-get of absent keys too long for the veth's MTU, so that the
    kernel sends it in IP fragments; the reply's payloads joined (memcached
    answers it with an empty datagram, then END), or None if none came
    within half a second."""
    server = netns.SERVER_IP if family == socket.AF_INET else netns.SERVER_IP6
    keys = b" ".join(b"absent%04d" % i for i in range(280))
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.connect((server, ad.PORT))
        sock.send(mc.frame(99) + b"get " + keys + b"\r\n")
        sock.settimeout(0.5)
        payloads = []
        try:
            while b"END\r\n" not in payloads:
                payloads.append(mc.parse_datagram(sock.recv(65536)).payload)
        except socket.timeout:
            pass
        return b"".join(payloads) if payloads else None


def fragments(allowed, denied):
    """A fragmented request from an allowed source is answered (by the
    kernel's socket, after reassembly); one from a denied source is dropped
    in XDP at its first fragment: no reply, and the workers never see it."""
    for source, family in allowed:
        reply = fragmented_get_from(source, family)
        check(reply == b"END\r\n", f"a fragmented get from {source} is answered: {reply!r}")
    before = stats()
    for source, family in denied:
        check(fragmented_get_from(source, family) is None, f"a fragmented get from {source} got no reply")
    after = stats()
    moved = {name: int(after[name]) - int(before[name])
             for name in ("xdp_drop_denied", "udp_dropped_denied", "xdp_pass_ip_fragment", "xdp_pass_ipv6_ext")}
    check(moved["xdp_drop_denied"] == len(denied) and moved["udp_dropped_denied"] == 0,
          f"denied fragmented gets were dropped in XDP, not by the workers: {moved}")
    check(moved["xdp_pass_ip_fragment"] >= 1 and moved["xdp_pass_ipv6_ext"] >= 1,
          f"their later fragments passed to the kernel: {moved}")


def stats():
    return mc.stats(ad.PORT, host=netns.SERVER_IP)


def counts(fields):
    return int(fields["afxdp_rx_frames"]), int(fields["xdp_drop_denied"])


def ctl(args, daemon, *words):
    socket_path = os.path.join(daemon.private, "control.sock")
    return subprocess.run([args.ctl, "--control-socket", socket_path, *words], capture_output=True,
                          text=True, timeout=10)


def gets(sources, expect_answer, label):
    hit = b"VALUE k 0 5\r\nhello\r\nEND\r\n"
    for source, family in sources:
        replies = gets_from(source, family)
        if expect_answer:
            check(replies == [hit] * REQUESTS, f"{label}: {source} answered every get")
        else:
            check(replies == [], f"{label}: {source} got no reply at all")


def run(args):
    with netns.VethNamespaces(1, args.xdp_pass) as net:
        for address in (f"{DENIED_IP}/24", f"{DENIED_IP6}/64"):
            netns.run("ip", "-n", net.client, "addr", "add", address, "dev", netns.CLIENT_IF, "nodad")
        daemon = ad.Daemon(net, args.daemon, netns.SERVER_IF, "--allow", f"{netns.CLIENT_IP}/32",
                           "--allow", f"{netns.CLIENT_IP6}/128")
        try:
            net.enter_client()
            allowed = [(netns.CLIENT_IP, socket.AF_INET), (netns.CLIENT_IP6, socket.AF_INET6)]
            denied = [(DENIED_IP, socket.AF_INET), (DENIED_IP6, socket.AF_INET6)]
            check(ad.tcp_exchange(netns.SERVER_IP, b"set k 0 0 5\r\nhello\r\n", b"\r\n") == b"STORED\r\n",
                  "set over TCP")
            gets(allowed, True, "allowed")
            rx, dropped = counts(stats())
            check(rx >= 2 * REQUESTS, f"allowed gets came through AF_XDP (afxdp_rx_frames {rx})")
            gets(denied, False, "denied")
            rx_after, dropped_after = counts(stats())
            check(rx_after == rx, f"afxdp_rx_frames did not move for denied sources ({rx} -> {rx_after})")
            check(dropped_after - dropped == 2 * REQUESTS,
                  f"xdp_drop_denied counted each denied get ({dropped} -> {dropped_after})")
            gets(allowed, True, "allowed, after the denied ones")
            fragments(allowed, denied)

            widened = ctl(args, daemon, "allow", "10.202.0.0/24", "fd20:202::/64")
            check(widened.returncode == 0 and "allow list 10.202.0.0/24 fd20:202::/64" in widened.stdout,
                  f"unbucklectl allow replaced the list: {widened.stdout!r} {widened.stderr!r}")
            shown = ctl(args, daemon, "allow")
            check(shown.stdout == "10.202.0.0/24\nfd20:202::/64\n", f"unbucklectl allow shows it: {shown.stdout!r}")
            gets(denied, True, "widened at run time")
            narrowed = ctl(args, daemon, "allow", f"{netns.CLIENT_IP}/32", f"{netns.CLIENT_IP6}/128")
            check(narrowed.returncode == 0, f"unbucklectl allow narrowed the list: {narrowed.stderr!r}")
            gets(denied, False, "narrowed again")
            gets(allowed, True, "allowed after the changes")
            refused = ctl(args, daemon, "allow", "10.202.0.1/8")
            check(refused.returncode == 1 and "not a network" in refused.stderr,
                  f"a network with host bits is refused: {refused.stderr!r}")
            net.leave()
            check(daemon.terminate() == 0, "SIGTERM: status 0")
        finally:
            daemon.close()
    print(f"allow_list_xdp: {len(failures)} failures")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--ctl", required=True)
    parser.add_argument("--xdp-pass", required=True)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root: skipped")
        return 77
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
