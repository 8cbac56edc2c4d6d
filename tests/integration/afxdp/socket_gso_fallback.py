#!/usr/bin/python3
"""The socket backend on a route that refuses UDP GSO: unbuckle-xdp
--backend socket and a real memcached side by side in the server namespace
of a veth pair with MTU 1300, the client in the client namespace.

A reply's full datagrams (1,400 bytes of UDP payload) do not fit that MTU,
so the kernel refuses a run of them sent as one UDP_SEGMENT send (EINVAL);
the daemon must then send one datagram at a time (daemon/socket/
datagram_batch.cpp), which the kernel fragments as it fragments memcached's.
Every reply must equal memcached's datagram for datagram: values of 20,000
bytes (15 datagrams each), alone and in a multi-get, and a multi-get of 50
small hits, whose run of small datagrams still fits one GSO send.

Needs root; exits 77 (skipped) otherwise.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402
import netns  # noqa: E402

MTU = 1300
DAEMON_PORT = 11211
MEMCACHED_PORT = 11311
SKIP = 77
LARGE = 20_000


def udp_reply(port, request, req_id):
    """The datagrams (header fields and payload) that answer one request."""
    client = mc.UdpClient(port, host=netns.SERVER_IP)
    try:
        client.send(request, req_id)
        return [tuple(d) for d in client.collect(deadline=5.0)]
    finally:
        client.close()


def store(port, items):
    client = mc.TcpClient(port, host=netns.SERVER_IP)
    try:
        reply = client.request(b"".join(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)
                                        for key, value in items),
                               done=lambda r: r.count(b"\r\n") >= len(items))
    finally:
        client.close()
    return reply == b"STORED\r\n" * len(items)


def run(args):
    failures = []
    private = tempfile.mkdtemp(prefix="unbuckle-gso-")
    servers = []
    with netns.VethNamespaces(1, mtu=MTU, prefix="ubg") as net:
        try:
            # Started from the client namespace: their readiness checks
            # then cross the veth, as the requests will.
            net.enter_client()
            servers.append(mc.Server("memcached", net.server_exec(
                mc.MEMCACHED, "-U", str(MEMCACHED_PORT), "-p", str(MEMCACHED_PORT),
                "-l", netns.SERVER_IP, "-m", "64", "-t", "1", "-u", "root"),
                MEMCACHED_PORT, host=netns.SERVER_IP))
            servers.append(mc.Server("unbuckle-xdp", net.server_exec(
                args.daemon, "--backend", "socket", "--listen", netns.SERVER_IP,
                "--port", str(DAEMON_PORT), "--threads", "1", "--memory-limit", "64",
                "--control-socket", os.path.join(private, "control.sock")),
                DAEMON_PORT, host=netns.SERVER_IP))
            items = [(b"large%d" % i, bytes([0x61 + i]) * (LARGE - i)) for i in range(3)]
            items += [(b"small%02d" % i, b"s" * 100) for i in range(50)]
            for port in (MEMCACHED_PORT, DAEMON_PORT):
                if not store(port, items):
                    failures.append(f"set over TCP on port {port} not STORED")
            requests = [
                ("one large value", b"get large0\r\n"),
                ("three large values", b"get large0 large1 large2\r\n"),
                ("50 small hits and a miss", b"get " + b" ".join(b"small%02d" % i for i in range(50))
                 + b" nosuchkey\r\n"),
                ("large and small mixed", b"gets small00 large1 small01 large2\r\n"),
            ]
            for req_id, (name, request) in enumerate(requests, start=1):
                want = udp_reply(MEMCACHED_PORT, request, req_id)
                got = udp_reply(DAEMON_PORT, request, req_id)
                # gets' cas values differ between servers; compare their framing and sizes.
                if request.startswith(b"gets"):
                    want = [d[:4] + (len(d[4]),) for d in want]
                    got = [d[:4] + (len(d[4]),) for d in got]
                if not want or got != want:
                    failures.append(f"{name}: {len(got)} datagrams from unbuckle-xdp, "
                                    f"{len(want)} from memcached, not the same")
                else:
                    print(f"ok: {name}: {len(got)} datagrams, as memcached's", flush=True)
            for server in servers:
                if not server.alive():
                    failures.append(f"{server.name} died:\n{server.log_text()}")
        finally:
            net.leave()
            for server in servers:
                server.stop()
            shutil.rmtree(private, ignore_errors=True)
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--xdp-pass", help="unused: no XDP program here")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: network namespaces need root")
        return SKIP
    started = time.monotonic()
    failures = run(args)
    for failure in failures:
        print(f"FAIL: {failure}")
    print(f"socket_gso_fallback: {len(failures)} failures in {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
