#!/usr/bin/python3
"""memcached UDP requests of every size through unbuckle-xdp --interface, each
answered byte for byte as a real memcached beside it answers, on a veth with
MTU 9000 (native XDP: frames longer than a page come in several buffers) and
on the server namespace's lo (MTU 65536, generic XDP).

For sizes around each boundary (the AF_XDP frame's room, bpf_abi.h; the
1500 and 9000 MTUs; the largest UDP datagram, memcached's limit), over IPv4
and IPv6, a `set` (then read back over TCP from both servers) and a multi-key
`get` of that many bytes go to the daemon and to memcached. Each request
must take its path, seen in the daemon's `stats`:

  fits an AF_XDP frame      xdp_redirect and afxdp_rx_frames + 1
  one frame, longer         xdp_pass_oversize + 1: the kernel UDP socket
  IP fragments              xdp_pass_ip_fragment (IPv6: xdp_pass_ipv6_ext, the
                            fragment header) + each fragment

and the kernel must drop nothing on its way into an AF_XDP socket
(afxdp_kernel_rx_dropped stays 0).

Needs root; exits 77 (skipped) otherwise.
"""

import argparse
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402
import netns  # noqa: E402
from afxdp_daemon import ABI_HEADER, PORT, SKIP, Daemon, check, failures, udp_exchange  # noqa: E402

MEMCACHED_PORT = 11311
VETH_MTU = 9000
LO_MTU = 65536
XDP_PACKET_HEADROOM = 256   # linux/bpf.h
ETHERNET = 14
IP_HEADER = {socket.AF_INET: 20, socket.AF_INET6: 40}
UDP_HEADER = 8
LARGEST_PAYLOAD = {socket.AF_INET: 65535 - 20 - 8, socket.AF_INET6: 65535 - 8}
COUNTERS = ("xdp_redirect", "xdp_pass_oversize", "xdp_pass_ip_fragment", "xdp_pass_ipv6_ext",
            "afxdp_rx_frames", "afxdp_kernel_rx_dropped")
FRAGMENT = {socket.AF_INET: "xdp_pass_ip_fragment", socket.AF_INET6: "xdp_pass_ipv6_ext"}


def xsk_rx_room():
    """The longest Ethernet frame an AF_XDP socket receives, from bpf_abi.h."""
    with open(ABI_HEADER) as f:
        text = f.read()
    define = {name: int(value) for name, value in
              re.findall(r"#define (UNBUCKLE_XSK_FRAME_\w+) (\d+)", text)}
    return define["UNBUCKLE_XSK_FRAME_SIZE"] - XDP_PACKET_HEADROOM - define["UNBUCKLE_XSK_FRAME_HEADROOM"]


def payload_sizes(family, mtu):
    """UDP payload sizes (memcached frame header included) around every edge."""
    room = xsk_rx_room() - ETHERNET - IP_HEADER[family] - UDP_HEADER
    edges = {room, 1500 - IP_HEADER[family] - UDP_HEADER,
             mtu - IP_HEADER[family] - UDP_HEADER}
    sizes = {100, LARGEST_PAYLOAD[family] - 1, LARGEST_PAYLOAD[family]}
    for edge in edges:
        sizes |= {edge - 1, edge, edge + 1}
    return sorted(n for n in sizes if n <= LARGEST_PAYLOAD[family])


def expected_path(family, mtu, payload):
    if IP_HEADER[family] + UDP_HEADER + payload > mtu:
        return FRAGMENT[family]
    if ETHERNET + IP_HEADER[family] + UDP_HEADER + payload > xsk_rx_room():
        return "xdp_pass_oversize"
    return "xdp_redirect"


def set_request(key, payload):
    """`set key 0 0 n` and its data block, `payload` bytes with the frame
    header; and the value."""
    for digits in range(1, 7):
        n = payload - mc.FRAME_HEADER.size - len(f"set {key} 0 0 \r\n\r\n") - digits
        if len(str(n)) == digits:
            value = bytes(ord("a") + (i * 7 + payload) % 26 for i in range(n))
            return f"set {key} 0 0 {n}\r\n".encode() + value + b"\r\n", value
    raise ValueError(f"no set of {payload} bytes")


def get_request(keys, payload):
    """`get` of `keys` padded with missing keys to `payload` bytes."""
    line = "get " + " ".join(keys)
    left = payload - mc.FRAME_HEADER.size - len(line) - 2
    filler = 0
    while left > 0:
        length = min(250, left - 1)
        if 0 < left - 1 - length < 2:   # leave room for a key of 1 byte
            length -= 2
        line += " " + f"miss{filler:04d}".ljust(length, "m")[:length]
        filler += 1
        left -= 1 + length
    request = (line + "\r\n").encode()
    assert mc.FRAME_HEADER.size + len(request) == payload, (len(request), payload)
    return request


def tcp_get(address, port, key):
    client = mc.TcpClient(port, address)
    try:
        return client.request(f"get {key}\r\n".encode(), done=lambda r: r.endswith(b"END\r\n"))
    finally:
        client.close()


def counters(address):
    stats = mc.stats(PORT, host=address)
    return {name: int(stats.get(name, -1)) for name in COUNTERS}


def one_request(label, address, family, mtu, payload, request, terminator, req_id):
    """Sends `request` to memcached and to the daemon; checks the daemon's
    answer is memcached's and that it took its path."""
    want, _ = udp_exchange(address, request, req_id, family, MEMCACHED_PORT, terminator)
    before = counters(address)
    got, problems = udp_exchange(address, request, req_id, family, PORT, terminator)
    after = counters(address)
    delta = {name: after[name] - before[name] for name in COUNTERS}
    check(want.endswith(terminator), f"{label}: memcached's own answer is whole: {want[-60:]!r}")
    check(got == want and not problems,
          f"{label}: {len(got)} bytes ending {got[-40:]!r}, memcached {len(want)} ending "
          f"{want[-40:]!r}; framing {problems[:3]}")
    path = expected_path(family, mtu, payload)
    fragments = delta[FRAGMENT[family]]
    if path == FRAGMENT[family]:
        took = fragments >= 2 and delta["xdp_redirect"] == 0 and delta["xdp_pass_oversize"] == 0
    else:
        steered = path == "xdp_redirect"
        took = (delta[path] == 1 and fragments == 0 and
                delta["afxdp_rx_frames"] == (1 if steered else 0) and
                delta["xdp_redirect" if not steered else "xdp_pass_oversize"] == 0)
    check(took and after["afxdp_kernel_rx_dropped"] == 0,
          f"{label}: expected the {path} path and no kernel drop; counters moved {delta}, "
          f"now {after}")


def serve_sizes(name, address, family, mtu, memcached_address):
    """Every size over one interface and address family; `name` keeps its
    keys apart in the memcached shared by every part."""
    sizes = payload_sizes(family, mtu)
    print(f"{name}: UDP payloads {sizes}", flush=True)
    small = f"{name}-small"
    for port in (MEMCACHED_PORT, PORT):
        client = mc.TcpClient(port, memcached_address if port == MEMCACHED_PORT else address)
        client.request(f"set {small} 5 0 2\r\nhi\r\n".encode(), done=lambda r: r.endswith(b"\r\n"))
        client.close()
    for i, payload in enumerate(sizes):
        key = f"{name}-{payload}"
        request, value = set_request(key, payload)
        one_request(f"{name} set of {payload} bytes", address, family, mtu, payload, request,
                    b"\r\n", 2 * i)
        want = f"VALUE {key} 0 {len(value)}\r\n".encode() + value + b"\r\nEND\r\n"
        stored = tcp_get(address, PORT, key)
        check(stored == want == tcp_get(memcached_address, MEMCACHED_PORT, key),
              f"{name} set of {payload} bytes, read back over TCP: {len(stored)} bytes "
              f"{stored[:60]!r}")
        one_request(f"{name} get of {payload} bytes", address, family, mtu, payload,
                    get_request([small, key], payload), b"END\r\n", 2 * i + 1)


def start_memcached(net):
    # No -l: every address of the server namespace, IPv4 and IPv6, as the daemon.
    argv = [mc.MEMCACHED, "-U", str(MEMCACHED_PORT), "-p", str(MEMCACHED_PORT), "-m", "64",
            "-t", "2", "-u", "root"]
    net.enter_server()
    try:
        return mc.Server("memcached", net.server_exec(*argv), MEMCACHED_PORT)
    finally:
        net.leave()


def run(args):
    with netns.VethNamespaces(1, mtu=VETH_MTU) as net:
        memcached = start_memcached(net)
        try:
            # No --listen: the kernel sockets that answer what XDP passes
            # listen on 0.0.0.0 and ::, as memcached without -l.
            for interface, mtu in ((netns.SERVER_IF, VETH_MTU), ("lo", LO_MTU)):
                print(f"== {interface}, MTU {mtu}", flush=True)
                daemon = Daemon(net, args.daemon, interface)
                try:
                    startup = re.search(rf"{interface} \(.*", daemon.text()).group(0)
                    print(startup, flush=True)
                    # The program reads multi-buffer frames, so a jumbo MTU
                    # keeps native XDP (lo has only generic XDP).
                    mode = "native" if interface == netns.SERVER_IF else "skb"
                    check(f"XDP {mode}" in startup, f"{interface} with MTU {mtu}: XDP {mode}: {startup}")
                    if interface == "lo":
                        net.enter_server()   # the server namespace's lo, never the host's
                        targets = (("lo4", "127.0.0.1", socket.AF_INET),
                                   ("lo6", "::1", socket.AF_INET6))
                    else:
                        net.enter_client()
                        targets = (("veth4", netns.SERVER_IP, socket.AF_INET),
                                   ("veth6", netns.SERVER_IP6, socket.AF_INET6))
                    for name, address, family in targets:
                        serve_sizes(name, address, family, mtu, address)
                    net.leave()
                    check(daemon.terminate() == 0, f"SIGTERM on {interface}")
                finally:
                    net.leave()
                    daemon.close()
        finally:
            memcached.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--xdp-pass", help="unused: no XDP program on the client end, whose "
                        "MTU of 9000 a program without multi-buffer support refuses")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    started = time.monotonic()
    try:
        run(args)
    except Exception as e:
        check(False, f"{type(e).__name__}: {e}")
    print(f"afxdp_sizes: {len(failures)} failures in {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
