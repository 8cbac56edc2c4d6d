#!/usr/bin/python3
"""--busy-poll with the socket backend, on loopback: a daemon with one
busy-polling worker and one without, each sent the same 200 UDP gets one at
a time (2 ms apart) and a TCP set and get. Both must answer every request
right; the sleeping daemon's threads must go to sleep for most requests
(voluntary context switches, /proc/PID/task/*/status) and the busy-polling
one's almost never, and only it says "(busy-polling)" when it starts.
"""

import argparse
import glob
import socket
import sys
import time

import mcharness as mc

REQUESTS = 200
GAP = 0.002


def sleeps(pid):
    """Voluntary context switches of every thread of `pid` so far."""
    total = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        with open(status) as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
    return total


def serve(server, failures):
    """The requests to `server`; how often its threads slept meanwhile."""
    reply = mc.TcpClient(server.port).request(b"set bp 0 0 5\r\nhello\r\nget bp\r\n",
                                              done=lambda r: r.endswith(b"END\r\n"))
    if reply != b"STORED\r\nVALUE bp 0 5\r\nhello\r\nEND\r\n":
        failures.append(f"{server.name}: TCP set and get answered {reply!r}")
    want = b"VALUE bp 0 5\r\nhello\r\nEND\r\n"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((mc.HOST, 0))
        sock.connect((mc.HOST, server.port))
        sock.settimeout(2.0)
        before = sleeps(server.pid)
        for req_id in range(1, REQUESTS + 1):
            sock.send(mc.frame(req_id) + b"get bp\r\n")
            got = mc.parse_datagram(sock.recv(2048))
            if got.req_id != req_id or got.payload != want:
                failures.append(f"{server.name}: request {req_id} answered {got}")
                break
            time.sleep(GAP)
        return sleeps(server.pid) - before


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    args = parser.parse_args()
    failures = []
    slept = {}
    for busy in (False, True):
        extra = ["--busy-poll"] if busy else []
        with mc.Server.daemon(args.daemon, threads=1, extra=extra) as server:
            slept[busy] = serve(server, failures)
            said = "(busy-polling)" in server.log_text()
            if said != busy:
                failures.append(f"startup line {'lacks' if busy else 'has'} '(busy-polling)':\n"
                                f"{server.log_text()}")
            if not server.alive():
                failures.append(f"daemon {' '.join(extra)} died:\n{server.log_text()}")
    print(f"voluntary context switches over {REQUESTS} requests: {slept[False]} sleeping, "
          f"{slept[True]} busy-polling")
    if slept[False] < REQUESTS // 2:
        failures.append(f"the sleeping worker slept only {slept[False]} times: the check "
                        f"cannot tell busy polling apart")
    if slept[True] > REQUESTS // 10:
        failures.append(f"the busy-polling daemon slept {slept[True]} times over {REQUESTS} requests")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
