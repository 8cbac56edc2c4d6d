#!/usr/bin/python3
"""Malformed UDP datagrams: the daemon answers each exactly as memcached 1.6.18
does (or drops it where memcached drops it) and afterwards still serves a
normal `get` from the same client socket.

Two deliberate differences from memcached:
  - a truncated data block (`set e 0 0 10\r\nabc\r\n`) leaves a memcached
    worker waiting for the rest, and it swallows that worker's next datagram
    as value bytes. The daemon must drop the truncated request and answer the
    next datagram normally. This case runs last, as it poisons memcached.
  - the binary protocol (first byte 0x80): memcached answers in binary, the
    daemon speaks ASCII only; it must stay silent or answer an ASCII error.
"""

import argparse
import struct
import sys

import mcharness as mc

PROBE = b"get probe\r\n"
PROBE_REPLY = b"VALUE probe 0 2\r\nok\r\nEND\r\n"
QUIET = 0.3


def binary_get(key):
    header = struct.pack("!BBHBBHIIQ", 0x80, 0x00, len(key), 0, 0, 0, len(key), 0xDEADBEEF, 0)
    return header + key


def big_set(total_size):
    """A `set` filling a datagram of exactly total_size bytes."""
    room = total_size - 8
    size = room - len(b"set big 0 0 00000\r\n") - 2
    return b"set big 0 0 %d\r\n" % size + b"b" * size + b"\r\n"


def cases():
    """(name, datagram, expectation): "same" means byte-identical to memcached
    (an empty reply included), "ascii-only" the binary-protocol rule."""
    out = [(f"{n}-byte datagram", bytes(range(1, n + 1)), "same") for n in range(0, 8)]
    out += [
        ("header only", mc.frame(11), "same"),
        ("header and one byte", mc.frame(12) + b"\n", "same"),
        ("total=2, seq 0", mc.frame(13, 0, 2) + PROBE, "same"),
        ("total=2, seq 1", mc.frame(13, 1, 2) + PROBE, "same"),
        ("total=0", mc.frame(14, 0, 0) + PROBE, "same"),
        ("seq=1 total=1 is answered", mc.frame(15, 1, 1) + PROBE, "same"),
        ("reserved=5 is answered", mc.frame(16, 0, 1, 5) + PROBE, "same"),
        ("garbage bytes with newlines", mc.frame(17) + bytes(range(1, 256)) + b"\r\n", "same"),
        ("garbage without newline", mc.frame(18) + bytes(range(11, 256)), "same"),
        ("no newline", mc.frame(19) + b"get probe", "same"),
        ("empty line", mc.frame(20) + b"\r\n", "same"),
        ("key of 251 bytes", mc.frame(21) + b"get " + b"k" * 251 + b"\r\n", "same"),
        ("key of 10000 bytes", mc.frame(22) + b"get " + b"k" * 10000 + b"\r\n", "same"),
        ("quit", mc.frame(23) + b"quit\r\n", "same"),
        ("largest datagram, a set", mc.frame(24) + big_set(65507), "same"),
        ("largest datagram, no newline", mc.frame(25) + b"a" * 65499, "same"),
        ("binary protocol magic 0x80", mc.frame(26) + binary_get(b"probe"), "ascii-only"),
    ]
    return out


def exchange(client, datagram):
    client.send_raw(datagram)
    return client.collect(QUIET)


def probe(client, req_id):
    return exchange(client, mc.frame(req_id) + PROBE)


def describe(datagrams):
    return [tuple(d) if len(d.payload) < 200 else d[:4] + (f"<{len(d.payload)} bytes>",)
            for d in datagrams]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", help="path of unbuckle-xdp; without it a second "
                        "memcached is the subject (harness self-test)")
    args = parser.parse_args()

    servers, clients, failures = [], [], []
    try:
        servers.append(mc.Server.memcached(64, 2))
        servers.append(mc.Server.daemon(args.daemon, 64, 2) if args.daemon
                       else mc.Server.memcached(64, 2))
        oracle, subject = servers
        for s in servers:
            setup = mc.TcpClient(s.port)
            if setup.request(b"set probe 0 0 2\r\nok\r\n", done=lambda r: b"\r\n" in r) \
                    != b"STORED\r\n":
                mc.fail(f"{s.name}: cannot store the probe item")
            setup.close()
        clients = [mc.UdpClient(s.port) for s in servers]
        oc, sc = clients

        for n, (name, datagram, expectation) in enumerate(cases()):
            before = len(failures)
            expected, got = exchange(oc, datagram), exchange(sc, datagram)
            if expectation == "same" and got != expected:
                failures.append(f"{name}: memcached {describe(expected)}, "
                                f"{subject.name} {describe(got)}")
            if expectation == "ascii-only" and args.daemon and not all(
                    d.payload.startswith((b"ERROR", b"CLIENT_ERROR")) for d in got):
                failures.append(f"{name}: expected silence or an ASCII error, "
                                f"got {describe(got)}")
            check_probe(sc, subject, 1000 + n, name, failures)
            if not subject.alive():
                mc.fail(f"{subject.name} died after '{name}':\n{subject.log_text()}")
            print(f"{'ok  ' if len(failures) == before else 'FAIL'} {name}: memcached "
                  f"{len(expected)} datagram(s), {subject.name} {len(got)}", flush=True)

        # Last: a truncated data block. memcached answers nothing (and then
        # swallows its next datagram); the daemon must answer nothing and
        # then serve the next request normally.
        before = len(failures)
        truncated = mc.frame(40) + b"set e 0 0 10\r\nabc\r\n"
        expected, got = exchange(oc, truncated), exchange(sc, truncated)
        if got != expected:
            failures.append(f"truncated data block: memcached {describe(expected)}, "
                            f"{subject.name} {describe(got)}")
        if args.daemon:
            check_probe(sc, subject, 2000, "truncated data block", failures)
            miss = exchange(sc, mc.frame(2001) + b"get e\r\n")
            if [d.payload for d in miss] != [b"END\r\n"]:
                failures.append("truncated data block stored something: get e -> "
                                f"{describe(miss)}")
        print(f"{'ok  ' if len(failures) == before else 'FAIL'} truncated data block, "
              "then the next datagram is served"
              + ("" if args.daemon else " (not asserted on memcached: it swallows it)"))
    finally:
        for c in clients:
            c.close()
        for s in servers:
            s.stop()

    for f in failures:
        print(f"FAIL: {f}")
    print(f"udp_malformed: {len(cases()) + 1} cases, {len(failures)} failures")
    return 1 if failures else 0


def check_probe(client, server, req_id, after, failures):
    reply = probe(client, req_id)
    if [tuple(d) for d in reply] != [(req_id, 0, 1, 0, PROBE_REPLY)]:
        failures.append(f"after '{after}', a normal get from {server.name} gave "
                        f"{describe(reply)}")


if __name__ == "__main__":
    sys.exit(main())
