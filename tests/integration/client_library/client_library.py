#!/usr/bin/python3
"""The client library (client/, include/unbuckle/client.h) against Debian's
memcached started with -U and against unbuckle-xdp's socket backend, both on
127.0.0.1, through client_library_check:

- compare: UDP get, gets and multi-gets of 1 to 1,000 keys, values of 0
  bytes to 1 MB, each equal to the same read over TCP;
- lossy: UDP reads through a relay in this script that drops, reorders and
  duplicates the server's datagrams (and drops some requests): every read is
  the stored value or a miss, never a wrong one, and both occur;
- pool: three memcached; keys set by pylibmc (ketama_weighted) are all
  read over UDP through the library's Pool; then one server is stopped,
  marked dead (its keys move to the others) and, restarted, re-admitted.
"""

import argparse
import os
import random
import selectors
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402

LOSSY_ROUNDS = 150
POOL_KEYS = 600
CHECK_TIMEOUT_S = 60


class LossyRelay:
    """UDP on 127.0.0.1:<port> to the server's UDP port and back. Replies
    are dropped (5%), duplicated (5%) and held in a pool released in random
    order; requests are dropped (3%). TCP on the same port number is passed
    through whole, as a lossy network keeps TCP whole. Runs in threads until
    stop(). Its sockets live in the network namespace of the thread that
    makes it."""

    def __init__(self, server_port, seed, server_host=mc.HOST):
        self.random = random.Random(seed)
        self.port = mc.free_port()
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind((mc.HOST, self.port))
        self.listener = socket.create_server((mc.HOST, self.port))
        self.server_host = server_host
        self.server_port = server_port
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, mc.UDP_RECV_BUFFER)
        self.back.connect((server_host, server_port))
        self.client = None
        self.held = []
        self.counts = {"requests": 0, "replies": 0, "dropped": 0, "duplicated": 0, "reordered": 0}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.tcp_threads = [threading.Thread(target=self._accept, daemon=True)]
        self.tcp_threads[0].start()

    def _release(self, everything):
        self.random.shuffle(self.held)
        keep = 0 if everything else min(len(self.held), 6)
        if keep:
            self.counts["reordered"] += 1
        while len(self.held) > keep:
            self.front.sendto(self.held.pop(), self.client)

    def _run(self):
        sel = selectors.DefaultSelector()
        sel.register(self.front, selectors.EVENT_READ, "front")
        sel.register(self.back, selectors.EVENT_READ, "back")
        while not self.stopping.is_set():
            events = sel.select(0.002)
            if not events and self.held:
                self._release(everything=True)
            for key, _ in events:
                if key.data == "front":
                    data, self.client = self.front.recvfrom(65536)
                    self.counts["requests"] += 1
                    if self.random.random() < 0.03:
                        self.counts["dropped"] += 1
                        continue
                    self.back.send(data)
                else:
                    data = self.back.recv(65536)
                    self.counts["replies"] += 1
                    roll = self.random.random()
                    if roll < 0.05:
                        self.counts["dropped"] += 1
                        continue
                    self.held.append(data)
                    if roll < 0.10:
                        self.counts["duplicated"] += 1
                        self.held.append(data)
                    if len(self.held) >= 12:
                        self._release(everything=False)
        sel.close()

    def _accept(self):
        self.listener.settimeout(0.05)
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            upstream = socket.create_connection((self.server_host, self.server_port))
            for a, b in ((conn, upstream), (upstream, conn)):
                thread = threading.Thread(target=self._pipe, args=(a, b), daemon=True)
                thread.start()
                self.tcp_threads.append(thread)

    def _pipe(self, source, sink):
        source.settimeout(0.05)
        while not self.stopping.is_set():
            try:
                data = source.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            sink.sendall(data)
        sink.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        for thread in self.tcp_threads:
            thread.join(timeout=5)
        self.listener.close()
        self.front.close()
        self.back.close()


def run_check(check, *args):
    result = subprocess.run([check, *map(str, args)], capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        mc.fail(f"client_library_check {' '.join(map(str, args))}: {output}")
    return output


def scenario(name, server, check):
    """compare and lossy against `server`, from this thread's network
    namespace (the relay's too)."""
    started = time.monotonic()
    address = f"{server.host}:{server.port}"
    print(f"{name}: {run_check(check, 'compare', address)}", flush=True)
    relay = LossyRelay(server.port, seed=13, server_host=server.host)
    try:
        output = run_check(check, "lossy", f"{mc.HOST}:{relay.port}", address, LOSSY_ROUNDS)
    finally:
        relay.stop()
    print(f"{name}: {output}; relay {relay.counts}", flush=True)
    hits, misses = (int(word) for word in output.split()[1:4:2])
    if hits == 0 or misses == 0:
        mc.fail(f"{name}: the lossy run should give both hits and misses: {output}")
    if min(relay.counts["dropped"], relay.counts["duplicated"], relay.counts["reordered"]) == 0:
        mc.fail(f"{name}: the relay injected nothing: {relay.counts}")
    if not server.alive():
        mc.fail(f"{name} died during the run")
    print(f"{name}: {time.monotonic() - started:.1f} s", flush=True)


def pylibmc_pool(servers, count, host=mc.HOST):
    """Starts three memcached on `host` (appended to `servers`, which the
    caller stops) and sets "pool:0".."pool:<count-1>" to "value:<key>" in
    them with pylibmc (ketama_weighted); returns their "host:port" entries
    ("[host]:port" for IPv6)."""
    try:
        import pylibmc
    except ImportError as e:
        mc.fail(f"{e}: run tools/install-deps.sh (python3-pylibmc)")
    for _ in range(3):
        servers.append(mc.Server.memcached(16, 1, host=host))
    address = f"[{host}]" if ":" in host else host
    entries = [f"{address}:{s.port}" for s in servers]
    client = pylibmc.Client(entries, behaviors={"ketama_weighted": True})
    try:
        for i in range(count):
            client.set(f"pool:{i}", f"value:pool:{i}".encode())
    finally:
        client.disconnect_all()
    return entries


def pool_scenario(check):
    servers = []
    try:
        entries = pylibmc_pool(servers, POOL_KEYS)
        print(run_check(check, "pool", ",".join(entries), POOL_KEYS), flush=True)
        failover(check, servers, ",".join(entries))
    finally:
        for server in servers:
            server.stop()


def failover(check, servers, entries):
    proc = subprocess.Popen([check, "failover", entries], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        for line in proc.stdout:
            line = line.strip()
            if line == "STOP 1":
                port = servers[1].port
                servers[1].stop()
            elif line == "START 1":
                servers[1] = mc.Server("memcached", servers[1].argv, port)
            else:
                print(line, flush=True)
                continue
            proc.stdin.write("done\n")
            proc.stdin.flush()
        if proc.wait(timeout=CHECK_TIMEOUT_S) != 0:
            mc.fail("client_library_check failover failed")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--check", required=True, help="the client_library_check program")
    args = parser.parse_args()
    with mc.Server.memcached() as memcached:
        scenario("memcached", memcached, args.check)
    with mc.Server.daemon(args.daemon) as daemon:
        scenario("unbuckle-xdp", daemon, args.check)
    pool_scenario(args.check)
    print("PASS")


if __name__ == "__main__":
    main()
