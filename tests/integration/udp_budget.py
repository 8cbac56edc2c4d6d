#!/usr/bin/python3
"""The reply budget per source and the admin commands over UDP, on loopback
with the socket backend (issue 12):

- a flood of small `get`s for a 100 KB item from 127.0.0.1 draws no more
  than its budget (bytes counted on the client and in the server's
  bytes_written), the excess counted in udp_dropped_over_budget, while a
  second source (127.0.0.2) keeps getting its answers;
- `stats` over UDP is refused by default with "CLIENT_ERROR stats not
  allowed over UDP" and answered with --udp-admin on.

Bounded: 400 requests in about 2 s. Python 3 standard library only.
"""

import argparse
import time

import mcharness as mc

RATE = 256 << 10
BURST = 256 << 10
THREADS = 2
VALUE = b"v" * 100_000
FLOOD = 400
FLOOD_SECONDS = 2.0


def start(daemon, udp_admin):
    return mc.Server.daemon(daemon, threads=THREADS, udp_admin=udp_admin,
                            extra=["--udp-reply-rate", str(RATE), "--udp-reply-burst", str(BURST)])


def udp_reply(client, payload, req_id):
    client.send(payload, req_id)
    return b"".join(d.payload for d in sorted(client.collect(quiet=0.2, deadline=2.0),
                                               key=lambda d: d.seq) if d.req_id == req_id)


def stat(port, name):
    return int(mc.stats(port)[name])


def flood_test(daemon):
    with start(daemon, "off") as server:
        tcp = mc.TcpClient(server.port)
        tcp.request(b"set big 0 0 %d\r\n%s\r\n" % (len(VALUE), VALUE), done=lambda r: r.endswith(b"\r\n"))
        tcp.request(b"set small 0 0 2\r\nok\r\n", done=lambda r: r.endswith(b"\r\n"))
        tcp.close()
        written_before = stat(server.port, "bytes_written")

        flooder = mc.UdpClient(server.port)
        other = mc.UdpClient(server.port, host=mc.HOST)
        other.sock.close()
        other.sock = mc.socket.socket(mc.socket.AF_INET, mc.socket.SOCK_DGRAM)
        other.sock.bind(("127.0.0.2", 0))
        other.sock.setblocking(False)

        received = 0
        answered = 0
        start_time = time.monotonic()
        for i in range(FLOOD):
            flooder.send(b"get big\r\n", i)
            received += sum(8 + len(d.payload) for d in flooder.drain())
            if i % 40 == 0:
                reply = udp_reply(other, b"get small\r\n", 60000 + i)
                answered += reply == b"VALUE small 0 2\r\nok\r\nEND\r\n"
            time.sleep(FLOOD_SECONDS / FLOOD)
        received += sum(8 + len(d.payload) for d in flooder.collect(quiet=0.3, deadline=3.0))
        elapsed = time.monotonic() - start_time
        written = stat(server.port, "bytes_written") - written_before
        dropped = stat(server.port, "udp_dropped_over_budget")
        flooder.close()
        other.close()

    # Each worker's bucket: its burst, the refill, and one reply below zero.
    bound = THREADS * (BURST + RATE * elapsed + len(VALUE) + 2000) + answered * 100
    print(f"flood: {FLOOD} gets of {len(VALUE)} B in {elapsed:.1f} s: client received {received} B, "
          f"server wrote {written} B, bound {bound:.0f} B, {dropped} dropped over budget, "
          f"other source answered {answered}/{FLOOD // 40}")
    if received > bound or written > bound:
        mc.fail(f"source drew {max(received, written)} B, more than its budget of {bound:.0f} B")
    if dropped == 0:
        mc.fail("udp_dropped_over_budget stayed 0 under the flood")
    if answered != FLOOD // 40:
        mc.fail(f"the second source got {answered} of {FLOOD // 40} answers during the flood")


def admin_test(daemon):
    # The harness turns --udp-admin on for the differential tests: off is the
    # daemon's default, given here explicitly.
    with start(daemon, "off") as server:
        client = mc.UdpClient(server.port)
        reply = udp_reply(client, b"stats\r\n", 7)
        client.close()
        if reply != b"CLIENT_ERROR stats not allowed over UDP\r\n":
            mc.fail(f"stats over UDP by default: {reply[:80]!r}")
    with start(daemon, "on") as server:
        client = mc.UdpClient(server.port)
        reply = udp_reply(client, b"stats\r\n", 8)
        client.close()
        if not reply.startswith(b"STAT pid "):
            mc.fail(f"stats over UDP with --udp-admin on: {reply[:80]!r}")
    print("admin: stats over UDP refused by default, answered with --udp-admin on")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    args = parser.parse_args()
    admin_test(args.daemon)
    flood_test(args.daemon)
    print("PASS")


if __name__ == "__main__":
    main()
