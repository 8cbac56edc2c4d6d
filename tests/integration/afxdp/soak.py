#!/usr/bin/python3
"""Soak: unbuckle-xdp under a bounded mixed load, with its RSS, open file
descriptors and free umem frames sampled and asserted flat.

Cases (--backend, default xdp):
  xdp     the daemon on a veth in two namespaces made by this script (names
          starting with "soak"), UDP through XDP and AF_XDP with the kernel
          cache on (the default), TCP through the kernel; every client runs
          in the client namespace, whose route to the server is checked first
  socket  the socket backend on 127.0.0.1 (a free port), 2 workers

The load, all at once for --duration seconds (every mcbench run lasts 20 s
at most and is started again, so its TCP connections come and go):
  udp-small   mcbench: 90 % UDP GET, 10 % UDP SET; 20,000 keys of 100 bytes
  udp-large   mcbench: 80 % UDP GET, 20 % TCP SET; 300 keys of 30,000 bytes
              (22 datagrams a reply)
  tcp         mcbench: 70 % TCP GET, 30 % TCP SET; 5,000 keys of 1,500 bytes
  udp-miss    mcbench: UDP GETs of 100,000 keys never set (all misses)
  mixed       this script, about 300 requests a second: set, add, append,
              delete, incr, decr, touch and 12-key `gets` over TCP, 8-key `get`
              over UDP (values of 10, 300, 3,000 and 40,000 bytes), every
              reply checked against a model of its 400 keys and 16 counters;
              a new TCP connection every 40 requests
mcbench checks every GET hit (--validate). Its key spaces are preloaded
before the load, so the store's size is steady from the start.

Sampled every --interval seconds, one progress line each: the daemon's VmRSS
(/proc/PID/status), its open fds (/proc/PID/fd), `stats` over one TCP
connection held for the whole run (curr_connections, the request counters
and, with xdp, afxdp_frames_free/_in_fill/_in_tx summed over the workers).

Asserted (the first --warmup share of the load is warm-up, the rest is cut in
three thirds):
  RSS      the last third's largest sample at most the middle third's largest
           plus max(1 MiB, 0.5 %)
  fds      open fds less curr_connections the same at every sample, and the
           open fds once the load is over the same as before it
  frames   free + fill + TX = the umem's frames at every sample (a frame lost
           anywhere shows at the next sample), and afxdp_frames_free back to
           its idle value within 5 s of the load's end
  replies  no wrong reply (mcbench's get/set errors, the model's mismatches),
           no mcbench run failed, and fewer than 1 % of UDP requests lost

Needs root for xdp (exits 77, skipped, otherwise).
"""

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import mcharness as mc  # noqa: E402
import netns  # noqa: E402
from afxdp_daemon import Daemon, _die_with_parent, udp_exchange  # noqa: E402

SKIP = 77
PORT = 11211
MCBENCH_SEGMENT_S = 5
RSS_SLACK_KB = 1024
RSS_SLACK_SHARE = 0.005
LOST_SHARE = 0.01
FRAMES_RETURN_S = 5.0

# name, requests a second, mcbench arguments. Each mcbench run sends its
# share of MCBENCH_SEGMENT_S seconds at full speed and then the load waits for
# the segment's end: bounded CPU on a shared machine, and idle gaps between
# the bursts.
MCBENCH_LOADS = (
    ("udp-small", 4000, ["--proto", "udp", "--set-proto", "udp", "--get-ratio", "0.9", "--keys",
                         "20000", "--key-size", "20", "--value-size", "100", "--window", "4",
                         "--validate"]),
    ("udp-large", 300, ["--proto", "udp", "--set-proto", "tcp", "--get-ratio", "0.8", "--keys", "300",
                        "--key-size", "30", "--value-size", "30000", "--window", "1", "--validate",
                        "--timeout-ms", "500"]),
    ("tcp", 3000, ["--proto", "tcp", "--set-proto", "tcp", "--get-ratio", "0.7", "--keys", "5000",
                   "--key-size", "25", "--value-size", "1500", "--window", "4", "--validate"]),
    ("udp-miss", 1500, ["--proto", "udp", "--get-ratio", "1", "--keys", "100000", "--key-size", "40",
                        "--window", "2"]),
)
MCBENCH_FIELDS = ("answered", "gets", "get_hits", "get_misses", "get_lost", "get_errors", "sets",
                  "set_lost", "set_errors")


class Target:
    """Where the clients go and how they are run: the namespace (or none)
    of mcbench, and the daemon's address."""

    def __init__(self, name, pid, address, port, exec_prefix, frames):
        self.name = name
        self.pid = pid
        self.address = address
        self.port = port
        self.exec_prefix = exec_prefix
        self.frames = frames


# ------------------------------------------------------------------ sampling

def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


class StatsConnection:
    """`stats` over one TCP connection held for the whole run, so that the
    sampler's own connection is the same at every sample."""

    def __init__(self, address, port):
        self.sock = socket.create_connection((address, port), timeout=5)

    def read(self):
        self.sock.sendall(b"stats\r\n")
        reply = b""
        while not reply.endswith(b"END\r\n"):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("the daemon closed the stats connection")
            reply += chunk
        return {m.group(1).decode(): m.group(2).decode()
                for m in re.finditer(rb"STAT (\S+) (\S+)\r\n", reply)}

    def close(self):
        self.sock.close()


REQUEST_COUNTERS = ("cmd_get", "cmd_set", "cmd_touch", "delete_hits", "delete_misses",
                    "incr_hits", "incr_misses", "decr_hits", "decr_misses")


def frames_held(stats):
    return sum(int(stats[f"afxdp_frames_{name}"]) for name in ("free", "in_fill", "in_tx"))


def sample(target, stats_conn, frames_total=None):
    """One consistent sample: the fd count read before and after `stats` must
    agree (a connection opening or closing in between), and given
    `frames_total` the frame counters must add up to it (a worker publishing
    them while `stats` reads them); either is read again, 10 times at most."""
    for _ in range(10):
        fds = open_fds(target.pid)
        stats = stats_conn.read()
        if open_fds(target.pid) == fds and (frames_total is None or frames_held(stats) == frames_total):
            break
    s = {"t": time.monotonic(), "rss_kb": rss_kb(target.pid), "fds": fds,
         "conns": int(stats["curr_connections"]),
         "requests": sum(int(stats.get(name, 0)) for name in REQUEST_COUNTERS)}
    s["fds_other"] = s["fds"] - s["conns"]
    if target.frames:
        for name in ("frames_free", "frames_in_fill", "frames_in_tx", "tx_dropped_no_frame",
                     "tx_dropped_ring_full"):
            s[name] = int(stats[f"afxdp_{name}"])
        s["frames_held"] = frames_held(stats)
    s["over_budget"] = int(stats.get("udp_dropped_over_budget", 0))
    return s


def progress(case, start, s, previous):
    rate = 0.0
    if previous:
        rate = (s["requests"] - previous["requests"]) / max(s["t"] - previous["t"], 1e-3)
    line = (f"soak {case}: t={s['t'] - start:6.1f}s rss {s['rss_kb'] / 1024:7.1f} MiB "
            f"fds {s['fds']:3} (conns {s['conns']:2}, other {s['fds_other']:3})")
    if "frames_free" in s:
        line += (f" frames free {s['frames_free']:5} fill {s['frames_in_fill']:5} "
                 f"tx {s['frames_in_tx']:4}")
    line += f" requests {s['requests']:10} ({rate:8.0f}/s)"
    print(line, flush=True)


# ------------------------------------------------------------------ the load

class McbenchLoad(threading.Thread):
    """One mcbench configuration, run again and again until the deadline."""

    def __init__(self, mcbench, target, name, rate, arguments, deadline, stop):
        super().__init__(daemon=True)
        self.rate = rate
        self.argv = [*target.exec_prefix, mcbench, "--target", f"{target.address}:{target.port}",
                     *arguments, "--json", "--quiet"]
        self.name_ = name
        self.deadline = deadline
        self.stop = stop
        self.totals = dict.fromkeys(MCBENCH_FIELDS, 0)
        self.runs = 0
        self.failure = None

    def preload(self):
        if "--get-ratio" in self.argv and self.argv[self.argv.index("--get-ratio") + 1] == "1":
            return   # udp-miss: its keys must stay absent
        self._run(["--preload", "--requests", "1", "--duration", "30"], count=False)

    def run(self):
        while not self.stop.is_set() and self.failure is None:
            begin = time.monotonic()
            seconds = min(MCBENCH_SEGMENT_S, self.deadline - begin)
            if seconds < 1:
                break
            self._run(["--duration", f"{seconds:.1f}", "--requests", str(int(self.rate * seconds))],
                      count=True)
            self.stop.wait(max(0.0, begin + seconds - time.monotonic()))

    def _run(self, extra, count):
        proc = subprocess.run(self.argv + extra, capture_output=True, text=True, timeout=360,
                              preexec_fn=_die_with_parent)
        try:
            result = json.loads(proc.stdout)["results"][0]
        except (ValueError, KeyError, IndexError):
            result = None
        if proc.returncode != 0 or result is None:
            self.failure = (f"mcbench {self.name_} failed with status {proc.returncode}: "
                            f"{proc.stderr.strip()[-600:]}")
            return
        if count:
            self.runs += 1
            for field in MCBENCH_FIELDS:
                self.totals[field] += result[field]


def parse_values(reply):
    """`VALUE key flags bytes [cas]` blocks up to END: {key: data}, or None
    when the reply is not that shape."""
    values = {}
    rest = reply
    while rest.startswith(b"VALUE "):
        line, _, rest = rest.partition(b"\r\n")
        parts = line.split()
        size = int(parts[3])
        values[parts[1].decode()] = rest[:size]
        if rest[size:size + 2] != b"\r\n":
            return None
        rest = rest[size + 2:]
    return values if rest == b"END\r\n" else None


class MixedClient(threading.Thread):
    """TCP and UDP requests of many kinds on keys only it writes, each reply
    checked against its model of them."""

    SIZES = (10, 300, 3000, 40000)
    KEYS = [f"soak:mix:{i}" for i in range(400)]
    ABSENT = [f"soak:absent:{i}" for i in range(50)]
    COUNTERS = [f"soak:counter:{i}" for i in range(16)]
    PER_CONNECTION = 40

    def __init__(self, target, deadline, stop, rate, seed):
        super().__init__(daemon=True)
        self.target = target
        self.deadline = deadline
        self.stop = stop
        self.rate = rate
        self.random = random.Random(seed)
        self.model = {}
        self.counters = {}
        self.ops = 0
        self.udp_requests = 0
        self.udp_lost = 0
        self.connections = 0
        self.errors = []
        self.sock = None
        self.used = 0
        self.version = 0

    def run(self):
        start = time.monotonic()
        try:
            while not self.stop.is_set() and time.monotonic() < self.deadline:
                self.one()
                self.ops += 1
                ahead = start + self.ops / self.rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        except Exception as e:  # a broken connection is a finding, not a crash of the harness
            self.errors.append(f"mixed client: {type(e).__name__}: {e}")
        finally:
            if self.sock:
                self.sock.close()

    def tcp(self, request, terminal):
        if self.sock is None or self.used >= self.PER_CONNECTION:
            if self.sock:
                self.sock.close()
            self.sock = socket.create_connection((self.target.address, self.target.port), timeout=5)
            self.connections += 1
            self.used = 0
        self.used += 1
        self.sock.sendall(request)
        reply = b""
        while not terminal(reply):
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError(f"connection closed during {request[:40]!r}")
            reply += chunk
        return reply

    def value(self, size):
        self.version += 1
        stamp = f"v{self.version}:".encode()
        return (stamp * (size // len(stamp) + 1))[:size]

    def expect(self, what, reply, wanted):
        if reply != wanted:
            self.errors.append(f"{what}: {reply[:120]!r}, expected {wanted[:120]!r}")

    def one(self):
        kind = self.random.choices(
            ("set", "add", "append", "delete", "incr", "decr", "touch", "gets", "udp_get"),
            weights=(20, 5, 5, 8, 8, 4, 5, 15, 30))[0]
        key = self.random.choice(self.KEYS)
        line_done = lambda r: r.endswith(b"\r\n")  # noqa: E731
        if kind in ("set", "add", "append"):
            data = self.value(self.random.choice(self.SIZES) if kind != "append" else 20)
            if kind == "append" and len(self.model.get(key, b"")) > 60000:
                kind, data = "set", self.value(10)
            reply = self.tcp(b"%s %s 0 0 %d\r\n%s\r\n" % (kind.encode(), key.encode(), len(data), data),
                             line_done)
            stored = kind == "set" or (kind == "add") == (key not in self.model)
            self.expect(f"{kind} {key}", reply, b"STORED\r\n" if stored else b"NOT_STORED\r\n")
            if stored:
                self.model[key] = self.model.get(key, b"") + data if kind == "append" else data
        elif kind == "delete":
            reply = self.tcp(b"delete %s\r\n" % key.encode(), line_done)
            self.expect(f"delete {key}", reply, b"DELETED\r\n" if key in self.model else b"NOT_FOUND\r\n")
            self.model.pop(key, None)
        elif kind in ("incr", "decr"):
            counter = self.random.choice(self.COUNTERS)
            if counter not in self.counters:
                reply = self.tcp(b"set %s 0 0 1\r\n5\r\n" % counter.encode(), line_done)
                self.expect(f"set {counter}", reply, b"STORED\r\n")
                self.counters[counter] = 5
            delta = self.random.randint(1, 1000)
            reply = self.tcp(b"%s %s %d\r\n" % (kind.encode(), counter.encode(), delta), line_done)
            now = self.counters[counter] + delta if kind == "incr" else max(0, self.counters[counter] - delta)
            self.counters[counter] = now
            self.expect(f"{kind} {counter}", reply, b"%d\r\n" % now)
        elif kind == "touch":
            reply = self.tcp(b"touch %s 0\r\n" % key.encode(), line_done)
            self.expect(f"touch {key}", reply, b"TOUCHED\r\n" if key in self.model else b"NOT_FOUND\r\n")
        elif kind == "gets":
            keys = self.random.sample(self.KEYS, 10) + self.random.sample(self.ABSENT, 2)
            reply = self.tcp(b"get %s\r\n" % " ".join(keys).encode(),
                             lambda r: r.endswith(b"END\r\n") and parse_values(r) is not None)
            self.check_values("TCP get", keys, reply)
        else:
            keys = self.random.sample(self.KEYS, 7) + self.random.sample(self.ABSENT, 1)
            self.udp_requests += 1
            reply, problems = udp_exchange(self.target.address, b"get %s\r\n" % " ".join(keys).encode(),
                                           req_id=self.ops & 0xffff, port=self.target.port,
                                           terminator=b"END\r\n")
            if not reply.endswith(b"END\r\n"):
                self.udp_lost += 1
            else:
                if problems:
                    self.errors.append(f"UDP get framing: {problems[:3]}")
                self.check_values("UDP get", keys, reply)

    def check_values(self, what, keys, reply):
        values = parse_values(reply)
        wanted = {k: self.model[k] for k in keys if k in self.model}
        if values != wanted:
            self.errors.append(f"{what} of {len(keys)} keys: {len(values or {})} values, "
                               f"{len(wanted)} expected, differing: "
                               f"{sorted(k for k in set(wanted) | set(values or {}) if (values or {}).get(k) != wanted.get(k))[:5]}")


# ------------------------------------------------------------------ the run

def thirds(samples, warmup_end):
    measured = [s for s in samples if s["t"] >= warmup_end]
    n = len(measured) // 3
    return measured[n:2 * n], measured[2 * n:]


def soak(target, args):
    """Runs the load against `target`; returns a list of failures and prints
    the summary."""
    failures = []
    stats_conn = StatsConnection(target.address, target.port)
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 3600
        loads = [McbenchLoad(args.mcbench, target, name, rate * args.rate_scale, arguments, deadline, stop)
                 for name, rate, arguments in MCBENCH_LOADS]
        print(f"soak {target.name}: preloading the mcbench key spaces", flush=True)
        for load in loads:
            load.preload()
        failures += [load.failure for load in loads if load.failure]
        if failures:
            return failures
        time.sleep(1.5)   # an idle AF_XDP worker publishes its frames at least once a second
        idle = sample(target, stats_conn)
        start = time.monotonic()
        print(f"soak {target.name}: idle before the load: rss {idle['rss_kb'] / 1024:.1f} MiB, "
              f"fds {idle['fds']}" + (f", frames free {idle['frames_free']}" if target.frames else ""),
              flush=True)
        deadline = start + args.duration
        for load in loads:
            load.deadline = deadline
        mixed = MixedClient(target, deadline, stop, args.mixed_rate, seed=args.seed)
        for worker in (*loads, mixed):
            worker.start()
        samples = []
        previous = idle
        while time.monotonic() < deadline:
            time.sleep(min(args.interval, max(deadline - time.monotonic(), 0)))
            s = sample(target, stats_conn, idle.get("frames_held"))
            samples.append(s)
            progress(target.name, start, s, previous)
            previous = s
            if any(load.failure for load in loads):
                break
        stop.set()
        for worker in (*loads, mixed):
            worker.join(timeout=400)
        after = wait_idle(target, stats_conn, idle)
        progress(target.name + " after", start, after, None)
        failures += judge(target, args, idle, samples, after, start, loads, mixed)
        summary(target, args, idle, samples, after, start, loads, mixed, failures)
    finally:
        stop.set()
        stats_conn.close()
    return failures


def wait_idle(target, stats_conn, idle):
    """The first sample after the load whose fds (and frames) are back at
    their idle values, or the last one taken within FRAMES_RETURN_S."""
    deadline = time.monotonic() + FRAMES_RETURN_S
    while True:
        s = sample(target, stats_conn, idle.get("frames_held"))
        back = s["fds"] == idle["fds"] and (not target.frames or (
            s["frames_free"] == idle["frames_free"] and s["frames_in_tx"] == 0))
        if back or time.monotonic() > deadline:
            return s
        time.sleep(0.2)


def judge(target, args, idle, samples, after, start, loads, mixed):
    failures = []
    fail = failures.append
    warmup_end = start + args.duration * args.warmup
    middle, last = thirds(samples, warmup_end)
    if len(middle) < 2:
        return [f"only {len(samples)} samples: too few to judge (a longer --duration or a shorter --interval)"]
    middle_rss = max(s["rss_kb"] for s in middle)
    last_rss = max(s["rss_kb"] for s in last)
    slack = max(RSS_SLACK_KB, middle_rss * RSS_SLACK_SHARE)
    if last_rss > middle_rss + slack:
        fail(f"RSS grew: the last third's largest sample {last_rss} KiB is above the middle third's "
             f"{middle_rss} KiB by more than {slack:.0f} KiB")
    others = sorted({s["fds_other"] for s in samples})
    if len(others) != 1 or others[0] != idle["fds_other"]:
        fail(f"fds not held by a connection moved during the load: {others} (idle {idle['fds_other']})")
    if after["fds"] != idle["fds"]:
        fail(f"open fds after the load {after['fds']}, before it {idle['fds']}")
    if target.frames:
        total = idle["frames_held"]
        if idle["frames_in_tx"] != 0:
            fail(f"{idle['frames_in_tx']} frames on the TX ring before the load, with no request")
        short = [s["frames_held"] for s in samples + [after] if s["frames_held"] != total]
        if short:
            fail(f"frames free + fill + TX short of the umem's {total} at {len(short)} of "
                 f"{len(samples) + 1} samples, down to {min(short)}: frames lost")
        if after["frames_free"] != idle["frames_free"]:
            fail(f"free umem frames not back to idle within {FRAMES_RETURN_S:.0f} s of the load's end: "
                 f"{after['frames_free']}, idle {idle['frames_free']}")
    for load in loads:
        if load.failure:
            fail(load.failure)
        errors = load.totals["get_errors"] + load.totals["set_errors"]
        if errors:
            fail(f"mcbench {load.name_}: {errors} wrong replies")
    failures.extend(mixed.errors[:10])
    lost, udp = udp_lost(loads, mixed)
    if udp and lost > udp * LOST_SHARE:
        fail(f"{lost} of {udp} UDP requests lost, more than {LOST_SHARE:.0%}")
    return failures


def udp_lost(loads, mixed):
    lost = mixed.udp_lost
    udp = mixed.udp_requests
    for load in loads:
        gets_udp = load.argv[load.argv.index("--proto") + 1] == "udp"
        sets_udp = "--set-proto" in load.argv and load.argv[load.argv.index("--set-proto") + 1] == "udp"
        if gets_udp:
            lost, udp = lost + load.totals["get_lost"], udp + load.totals["gets"]
        if sets_udp:
            lost, udp = lost + load.totals["set_lost"], udp + load.totals["sets"]
    return lost, udp


def summary(target, args, idle, samples, after, start, loads, mixed, failures):
    middle, last = thirds(samples, start + args.duration * args.warmup)
    warm = [s for s in samples if s["t"] < start + args.duration * args.warmup]
    columns = (("idle before", [idle]), ("end of warm-up", warm[-1:]), ("middle third", middle),
               ("last third", last), ("idle after", [after]))
    print(f"\nsoak {target.name}: {args.duration:.0f} s of load, {len(samples)} samples every "
          f"{args.interval:g} s, warm-up {args.duration * args.warmup:.0f} s")
    print(f"{'':24}" + "".join(f"{name:>16}" for name, _ in columns))

    def row(label, key, scale=1, fmt="{:.0f}"):
        cells = []
        for _, group in columns:
            if not group:
                cells.append("-")
                continue
            low = min(s[key] for s in group) / scale
            high = max(s[key] for s in group) / scale
            cells.append(fmt.format(low) if low == high else f"{fmt.format(low)}..{fmt.format(high)}")
        print(f"{label:24}" + "".join(f"{c:>16}" for c in cells))

    row("RSS (MiB)", "rss_kb", 1024, "{:.1f}")
    row("open fds", "fds")
    row("TCP connections", "conns")
    row("fds less connections", "fds_other")
    if target.frames:
        row("frames free", "frames_free")
        row("frames in fill", "frames_in_fill")
        row("frames in TX", "frames_in_tx")
        row("free + fill + TX", "frames_held")
    print(f"{'requests (daemon)':24}{after['requests'] - idle['requests']:>16}")
    print(f"\n{'load':12}{'runs':>6}{'answered':>12}{'get hits':>12}{'misses':>10}{'lost':>8}{'errors':>8}")
    for load in loads:
        t = load.totals
        print(f"{load.name_:12}{load.runs:>6}{t['answered']:>12}{t['get_hits']:>12}{t['get_misses']:>10}"
              f"{t['get_lost'] + t['set_lost']:>8}{t['get_errors'] + t['set_errors']:>8}")
    print(f"{'mixed':12}{mixed.connections:>6}{mixed.ops:>12}{'-':>12}{'-':>10}{mixed.udp_lost:>8}"
          f"{len(mixed.errors):>8}   (runs = TCP connections)")
    lost, udp = udp_lost(loads, mixed)
    answered = sum(load.totals["answered"] for load in loads) + mixed.ops
    print(f"total: {answered} requests answered, {lost} of {udp} UDP requests lost, "
          f"{sum(load.totals['get_errors'] + load.totals['set_errors'] for load in loads) + len(mixed.errors)} "
          f"wrong replies, {after['over_budget'] - idle['over_budget']} dropped over the reply budget"
          + (f", {after['tx_dropped_no_frame'] - idle['tx_dropped_no_frame']} replies dropped for want "
             f"of a frame, {after['tx_dropped_ring_full'] - idle['tx_dropped_ring_full']} on a full TX ring"
             if target.frames else ""))
    print(f"soak {target.name}: {'FAIL' if failures else 'PASS'}", flush=True)


def run_xdp(args):
    with netns.VethNamespaces(1, args.xdp_pass, prefix="soak") as net:
        daemon = Daemon(net, args.daemon, netns.SERVER_IF, "--kernel-cache", "on")
        try:
            net.enter_client()
            target = Target("xdp", daemon.proc.pid, netns.SERVER_IP, PORT,
                            ["ip", "netns", "exec", net.client], frames=True)
            failures = soak(target, args)
            net.leave()
            if daemon.proc.poll() is not None:
                failures.append(f"the daemon exited with {daemon.proc.returncode}:\n{daemon.text()[-2000:]}")
            return failures
        finally:
            daemon.close()


def run_socket(args):
    with mc.Server.daemon(args.daemon, memory_mb=256, threads=2, udp_admin="off") as server:
        target = Target("socket", server.pid, mc.HOST, server.port, [], frames=False)
        failures = soak(target, args)
        if not server.alive():
            failures.append(f"the daemon exited:\n{server.log_text()}")
        return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     epilog=__doc__.split("\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--mcbench", required=True, help="path of mcbench")
    parser.add_argument("--xdp-pass", help="XDP pass program for the client end (xdp case)")
    parser.add_argument("--backend", choices=("xdp", "socket", "both"), default="xdp")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load per case (10..3600)")
    parser.add_argument("--interval", type=float, help="seconds between samples "
                        "[default: duration/30, between 2 and 15]")
    parser.add_argument("--warmup", type=float, default=0.2, help="share of the load that is warm-up")
    parser.add_argument("--mixed-rate", type=float, default=300, help="requests a second of the mixed client")
    parser.add_argument("--rate-scale", type=float, default=1.0,
                        help="multiplies every mcbench load's requests a second (0.1..20)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    # SIGTERM (ctest's timeout, kill) unwinds like Ctrl-C: daemon stopped, namespaces deleted.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("soak: terminated"))
    if not 10 <= args.duration <= 3600:
        parser.error(f"--duration {args.duration:g}: use 10..3600 seconds")
    if not 0.1 <= args.rate_scale <= 20:
        parser.error(f"--rate-scale {args.rate_scale:g}: use 0.1..20")
    if args.interval is None:
        args.interval = min(15.0, max(2.0, args.duration / 30))
    cases = ("xdp", "socket") if args.backend == "both" else (args.backend,)
    if "xdp" in cases:
        if os.geteuid() != 0:
            print("SKIP: namespaces, XDP and AF_XDP need root")
            return SKIP
        if not args.xdp_pass:
            parser.error("--xdp-pass is needed for the xdp case")
    failures = []
    for case in cases:
        try:
            failures += [f"{case}: {f}" for f in (run_xdp if case == "xdp" else run_socket)(args)]
        except Exception as e:  # a broken case fails the run, the next one still runs
            failures.append(f"{case}: {type(e).__name__}: {e}")
    for failure in failures:
        print(f"FAIL: {failure}")
    print(f"soak: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
