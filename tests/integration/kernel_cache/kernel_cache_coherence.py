#!/usr/bin/python3
"""Coherence stress of the kernel cache: one writer mutates a small hot key
set while readers GET it over UDP (answered by XDP when mirrored), all from
the client namespace, for a bounded time. Every GET reply must equal a state
the key had at some instant between the GET's send and its reply: zero stale
replies, zero torn (never written, or malformed) ones.

Writer (one thread, one request at a time, so a key's states are totally
ordered): set (TCP, or UDP through AF_XDP), set with a 2 s exptime, delete,
incr and decr on counter keys, touch (long or 2 s), append, flush_all and a
delayed flush_all (3 s); values carry the key, a version and a filler of
varying length (counters stay 10 digits, so decr never pads them). The state after each
mutation is what its reply says (STORED, DELETED, the incr result, ...). A
UDP mutation whose reply is lost is sent again over TCP (only idempotent ones
go over UDP), and its interval spans both.

A state written by mutation i (sent s_i, answered r_i) can be current from s_i
until the next mutation's reply r_{i+1}; a GET sent at g_s and answered at
g_r may return it iff s_i <= g_r and r_{i+1} >= g_s. An item with a 2 s
exptime may be gone 0.9 s after s_i (memcached's clock ticks in seconds) and
must be gone 2.3 s after r_i. `flush_all d` (sent s, answered r) takes effect
when the daemon's clock, which ticks in whole seconds, reaches the second
after the one it was given in, plus d - 2: an instant F the test knows to a
few milliseconds, having found at start where the daemon's seconds begin
(the moment a 1 s item dies). F kills every item last written up to F's
whole second: a state written before that window must be
gone by its end, one written within it or the second after may be gone from
F's earliest, later ones live on. incr/decr and touch change the item in
place: the state they leave keeps the item's flush fate. No other flush is
sent while one is pending (a later flush_all replaces a pending one), and a
delayed one at most every few seconds, leaving time for immediate ones. The
quiet keys are set only just before a delayed flush_all, and not read in the
second before F: their slots, written before it or refilled by a GET while it
is pending, must stop answering at F with no later write to refresh them and
no XDP hit for the daemon's once-a-second hit sweep to find them by.

Needs root; exits 77 (skipped) otherwise. About 17 s.
"""

import argparse
import bisect
import os
import random
import re
import sys
import threading
import time

from kernel_cache_setup import (PORT, SKIP, KernelCacheServers, UdpGetter, mc, netns,
                                tcp_request)

TEXT_KEYS = [b"coh:t%d" % i for i in range(6)]
COUNTER_KEYS = [b"coh:c%d" % i for i in range(2)]
QUIET_KEYS = [b"coh:q%d" % i for i in range(2)]
DELAYED_FLUSH_GAP = 3   # seconds between a delayed flush_all's effect and the next
# Long enough for a hit sweep (once a second) to pass between the quiet keys'
# last read and the flush's instant.
FLUSH_DELAY = 3
TICK_SLACK = 0.03   # the daemon's coarse clock and the test's measure of its seconds
READERS = 3
NEVER = float("inf")
VALUE_REPLY = re.compile(rb"VALUE (\S+) (\d+) (\d+)\r\n(.*)\r\nEND\r\n\Z", re.S)


class State:
    """A key's value (None: absent) and from when its exptime (ttl_*) and a
    delayed flush_all (flush_*) may and must have removed it."""

    __slots__ = ("value", "ttl_may", "ttl_must", "flush_may", "flush_must")

    def __init__(self, value, ttl=(NEVER, NEVER), flush=(NEVER, NEVER)):
        self.value = value
        self.ttl_may, self.ttl_must = ttl
        self.flush_may, self.flush_must = flush

    def ttl(self):
        return self.ttl_may, self.ttl_must

    def flush(self):
        return self.flush_may, self.flush_must

    def allows(self, reply, get_sent, get_answered):
        may_die = min(self.ttl_may, self.flush_may)
        must_die = min(self.ttl_must, self.flush_must)
        if reply is None and (self.value is None or get_answered >= may_die):
            return True
        return reply is not None and reply == self.value and get_sent <= must_die


ABSENT = State(None)


class Writer:
    """Mutations in one thread; per key, the list of (sent, answered, state)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.tcp = mc.TcpClient(PORT, netns.SERVER_IP)
        self.udp = UdpGetter(timeout=0.5)
        self.history = {k: [] for k in TEXT_KEYS + COUNTER_KEYS + QUIET_KEYS}
        self.written = {k: set() for k in self.history}
        self.version = 0
        self.ops = {}
        self.udp_lost = 0
        self.pending_flush = None   # (earliest, latest) instant of a delayed flush_all
        self.delayed_flush_ok_at = 0
        self.phase = self.find_second_phase()

    def current(self, key):
        return self.history[key][-1][2] if self.history[key] else ABSENT

    def record(self, keys, sent, state_of):
        answered = time.monotonic()
        for key in keys:
            state = state_of(key)
            self.history[key].append((sent, answered, state))
            if state.value is not None:
                self.written[key].add(state.value)

    def request(self, data, terminator, udp_ok):
        """(reply, time sent): over UDP when allowed and chosen, again over TCP if lost."""
        sent = time.monotonic()
        if udp_ok and self.rng.random() < 0.3:
            reply = self.udp.request(data)
            if reply is not None:
                return reply, sent
            self.udp_lost += 1
        return tcp_request(self.tcp, data, terminator), sent

    def find_second_phase(self):
        """Where in a CLOCK_MONOTONIC second the daemon's seconds begin: the
        moment an item stored with a 1 s exptime dies (its next second)."""
        key = b"coh:phase"
        assert tcp_request(self.tcp, b"set %s 0 1 1\r\nx\r\n" % key, b"\r\n") == b"STORED\r\n"
        last_hit = time.monotonic()
        deadline = last_hit + 3
        while time.monotonic() < deadline:
            sent = time.monotonic()
            if tcp_request(self.tcp, b"get %s\r\n" % key, b"END\r\n") == b"END\r\n":
                return ((last_hit + time.monotonic()) / 2) % 1.0
            last_hit = sent
            time.sleep(0.002)
        raise RuntimeError("an item with a 1 s exptime lived 3 s")

    def quiet_unread(self, t):
        """Whether readers leave the quiet keys alone at instant t: in the
        second before a delayed flush_all's instant."""
        pending = self.pending_flush
        return pending is not None and pending[0] - 1.1 <= t <= pending[1]

    def second_start(self, t):
        """The start of the daemon's second holding instant t."""
        return t - (t - self.phase) % 1.0

    def flush_fate(self, sent):
        """(may, must) die of an item written from `sent` under the pending flush."""
        if self.pending_flush is None:
            return NEVER, NEVER
        earliest, latest = self.pending_flush
        if time.monotonic() < earliest:
            return earliest, latest
        if sent <= latest + 1.1:
            return earliest, NEVER
        self.pending_flush = None
        return NEVER, NEVER

    def flush_pending(self):
        """Whether a delayed flush_all may still be about to take effect."""
        if self.pending_flush is not None and time.monotonic() > self.pending_flush[1] + 1.5:
            self.pending_flush = None
        return self.pending_flush is not None

    def step(self):
        rng = self.rng
        kind = rng.choices(["set", "set_ttl", "delete", "incr", "decr", "touch", "append",
                            "flush_all", "flush_all_delayed"],
                           [40, 5, 15, 10, 10, 10, 12, 1, 1])[0]
        if kind.startswith("flush_all") and self.flush_pending() or \
                kind == "flush_all_delayed" and time.monotonic() < self.delayed_flush_ok_at:
            kind = "set"
        self.ops[kind] = self.ops.get(kind, 0) + 1
        if kind == "flush_all":
            sent = time.monotonic()
            reply = tcp_request(self.tcp, b"flush_all\r\n", b"\r\n")
            assert reply == b"OK\r\n", reply
            self.record(list(self.history), sent, lambda k: ABSENT)
            return
        if kind == "flush_all_delayed":
            for key in QUIET_KEYS:
                self.set(key, 0, udp_ok=False)
            delay = FLUSH_DELAY
            sent = time.monotonic()
            reply = tcp_request(self.tcp, b"flush_all %d\r\n" % delay, b"\r\n")
            assert reply == b"OK\r\n", reply
            self.pending_flush = (self.second_start(sent) + delay - 1 - TICK_SLACK,
                                  self.second_start(time.monotonic()) + delay - 1 + TICK_SLACK)
            self.delayed_flush_ok_at = self.pending_flush[1] + 1.5 + DELAYED_FLUSH_GAP
            # Every item there is now was written before the flush: it dies by F.
            for key in self.history:
                old = self.current(key)
                if old.value is not None:
                    self.record([key], sent, lambda k: State(old.value, old.ttl(), self.pending_flush))
            return
        if kind in ("incr", "decr"):
            key = rng.choice(COUNTER_KEYS)
            reply, sent = self.request(b"%s %s 1\r\n" % (kind.encode(), key), b"\r\n",
                                       udp_ok=False)
            old = self.current(key)
            if reply == b"NOT_FOUND\r\n":
                self.record([key], sent, lambda k: ABSENT)
            else:
                assert reply.rstrip(b"\r\n").isdigit(), reply
                self.record([key], sent, lambda k: State(reply[:-2], old.ttl(), old.flush()))
            return
        key = rng.choice(TEXT_KEYS + COUNTER_KEYS if kind in ("set", "delete", "touch")
                         else TEXT_KEYS)
        if kind in ("set", "set_ttl"):
            self.set(key, 2 if kind == "set_ttl" else 0, udp_ok=True)
        elif kind == "delete":
            reply, sent = self.request(b"delete %s\r\n" % key, b"\r\n", udp_ok=True)
            assert reply in (b"DELETED\r\n", b"NOT_FOUND\r\n"), reply
            self.record([key], sent, lambda k: ABSENT)
        elif kind == "touch":
            exptime = rng.choice([2, 3600])
            old = self.current(key)
            reply, sent = self.request(b"touch %s %d\r\n" % (key, exptime), b"\r\n", udp_ok=True)
            assert reply in (b"TOUCHED\r\n", b"NOT_FOUND\r\n"), reply
            if reply == b"TOUCHED\r\n":
                self.record([key], sent, lambda k: State(old.value, self.dies(sent, exptime),
                                                         old.flush()))
            else:
                self.record([key], sent, lambda k: ABSENT)
        else:  # append
            self.version += 1
            suffix = b"+%d" % self.version
            old = self.current(key)
            reply, sent = self.request(b"append %s 0 0 %d\r\n%s\r\n" % (key, len(suffix), suffix),
                                       b"\r\n", udp_ok=False)
            assert reply in (b"STORED\r\n", b"NOT_STORED\r\n"), reply
            if reply == b"STORED\r\n":
                self.record([key], sent, lambda k: State(old.value + suffix, old.ttl(),
                                                         self.flush_fate(sent)))
            else:
                self.record([key], sent, lambda k: ABSENT)

    def set(self, key, exptime, udp_ok):
        self.version += 1
        if key in COUNTER_KEYS:
            value = b"%d" % (2 * 10 ** 9 + self.version)
        else:
            filler = bytes(self.rng.choice(b"abcdefghij") for _ in range(self.rng.randrange(0, 150)))
            value = b"%s:v%d:%s" % (key, self.version, filler)
        reply, sent = self.request(b"set %s 0 %d %d\r\n%s\r\n" % (key, exptime, len(value), value),
                                   b"\r\n", udp_ok)
        assert reply == b"STORED\r\n", reply
        self.record([key], sent, lambda k: State(value, self.dies(sent, exptime),
                                                 self.flush_fate(sent)))

    def dies(self, sent, exptime):
        """(may_die, must_die) of an item given `exptime` seconds at `sent` (0: none)."""
        if exptime == 0 or exptime > 60:
            return NEVER, NEVER
        return sent + exptime - 1.1, time.monotonic() + exptime + 0.3

    def run(self, until):
        while time.monotonic() < until:
            self.step()

    def close(self):
        self.tcp.close()
        self.udp.close()


def read(until, seed, writer, results):
    """GETs of random hot keys over UDP until `until`: (key, sent, answered, reply)."""
    rng = random.Random(seed)
    getter = UdpGetter(timeout=0.5)
    try:
        while time.monotonic() < until:
            sent = time.monotonic()
            key = rng.choice(TEXT_KEYS + COUNTER_KEYS +
                             ([] if writer.quiet_unread(sent) else QUIET_KEYS))
            reply = getter.request(b"get %s\r\n" % key)
            results.append((key, sent, time.monotonic(), reply))
    finally:
        getter.close()


def judge(history, written, gets):
    """(stale, torn, lost, examples) over every GET."""
    stale, torn, lost, examples = 0, 0, 0, []
    starts = {key: [s for s, _, _ in ops] for key, ops in history.items()}
    for key, sent, answered, reply in gets:
        if reply is None:
            lost += 1
            continue
        if reply == b"END\r\n":
            value = None
        else:
            m = VALUE_REPLY.match(reply)
            if not m or m.group(1) != key or m.group(2) != b"0" or int(m.group(3)) != len(m.group(4)):
                torn += 1
                examples.append(("malformed", key, sent, answered, reply[:120]))
                continue
            value = m.group(4)
            if value not in written[key]:
                torn += 1
                examples.append(("never written", key, sent, answered, value[:120]))
                continue
        ops = history[key]
        # Candidates: the state before the first mutation, and every state i
        # with s_i <= answered whose successor's reply came at or after sent.
        last = bisect.bisect_right(starts[key], answered) - 1
        candidates = []
        for i in range(last, -2, -1):
            next_answered = ops[i + 1][1] if i + 1 < len(ops) else NEVER
            if next_answered < sent:
                break
            candidates.append(ops[i][2] if i >= 0 else ABSENT)
        if not any(state.allows(value, sent, answered) for state in candidates):
            stale += 1
            examples.append(("stale", key, sent, answered,
                             (value or b"<miss>")[:60],
                             [(s.value or b"<absent>")[:40] for s in candidates]))
    return stale, torn, lost, examples


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--xdp-pass", required=True, help="XDP pass program for the client end")
    parser.add_argument("--seconds", type=float, default=14, help="length of the stress")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    seed = random.randrange(1 << 31) if args.seed is None else args.seed
    print(f"kernel_cache_coherence: seed {seed} (rerun with --seed {seed})", flush=True)
    started = time.monotonic()
    failures = []
    # No background reclaim: the crawler and the LRU maintainer remove
    # flushed and expired items within a second, and with them their slots,
    # which would hide a slot the mirror itself left answering.
    with KernelCacheServers(args.daemon, args.xdp_pass, "on",
                            daemon_args=("--no-lru-crawler", "--no-lru-maintainer")) as servers:
        writer = Writer(seed)
        xdp0 = servers.counters()
        until = time.monotonic() + args.seconds
        results = [[] for _ in range(READERS)]
        # The readers are threads of this process, so they stay in the
        # client namespace this thread entered (setns is per thread, and
        # threads created after it inherit it).
        readers = [threading.Thread(target=read, args=(until, seed + i, writer, results[i]))
                   for i in range(READERS)]
        for t in readers:
            t.start()
        try:
            writer.run(until)
        finally:
            for t in readers:
                t.join(timeout=args.seconds + 10)
            writer.close()
        xdp1 = servers.counters()
        alive = servers.daemon.alive()
    gets = [g for r in results for g in r]
    stale, torn, lost, examples = judge(writer.history, writer.written, gets)
    mutations = sum(len(h) for h in writer.history.values())
    kc_hits = xdp1["kc_hit"] - xdp0["kc_hit"]
    redirected = xdp1["redirect"] - xdp0["redirect"]
    misses = {k: xdp1[k] - xdp0[k] for k in xdp1 if k.startswith("kc_") and xdp1[k] != xdp0[k]}
    print(f"{len(gets)} GETs ({kc_hits} answered by XDP, {redirected} datagrams to AF_XDP), "
          f"{sum(writer.ops.values())} mutations {writer.ops} ({mutations} key states, "
          f"{writer.udp_lost} UDP mutations resent over TCP); XDP {misses}")
    print(f"stale {stale}, torn {torn}, lost {lost}")
    for e in examples[:10]:
        print(f"  {e}")
    if not alive:
        failures.append("the daemon died")
    if stale or torn:
        failures.append(f"{stale} stale and {torn} torn GET replies")
    if lost > len(gets) // 100:
        failures.append(f"{lost} of {len(gets)} GETs unanswered")
    if kc_hits < len(gets) // 4:
        failures.append(f"only {kc_hits} of {len(gets)} GETs answered by XDP: the stress "
                        f"barely touched the kernel cache")
    for f in failures:
        print(f"FAIL: {f}")
    print(f"kernel_cache_coherence: {len(failures)} failures in {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
