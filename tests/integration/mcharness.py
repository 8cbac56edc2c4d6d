"""Shared pieces of the integration tests: starting servers on free loopback
ports, the memcached UDP frame header, UDP and TCP clients, and a parser that
splits a reply stream into memcached reply units. Clients talk to 127.0.0.1
unless given another host (a server in a test's network namespace).

Python 3 standard library only. Servers are started by the test, tied to its
life (PR_SET_PDEATHSIG) and stopped by PID.
"""

import ctypes
import os
import re
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

MEMCACHED = "/usr/bin/memcached"
HOST = "127.0.0.1"
FRAME_HEADER = struct.Struct("!HHHH")
UDP_DATA_SIZE = 1392  # payload bytes per reply datagram (memcached.h)
UDP_RECV_BUFFER = 8 << 20


README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../README.md")


def readme_code_blocks(section, language):
    """The ```language blocks of the README's "### section", in order: the
    tests that run the README's examples take them from there."""
    with open(README) as f:
        text = f.read()
    if f"\n### {section}\n" not in text:
        fail(f"README.md has no section '### {section}'")
    body = text.split(f"\n### {section}\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", body, re.S)


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1 (servers use one number for both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((HOST, port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port pair found on 127.0.0.1")


def _die_with_parent():
    # The server must not outlive the test, even if the test is SIGKILLed.
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


class Server:
    """A memcached or unbuckle-xdp process, TCP and UDP on one port of `host`."""

    def __init__(self, name, argv, port, private_dir=None, host=HOST):
        self.name = name
        self.host = host
        self.port = port
        self.argv = argv
        self.private_dir = private_dir
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        self.pid = self.proc.pid
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    @classmethod
    def memcached(cls, memory_mb=64, threads=2, host=HOST):
        port = free_port()
        argv = [MEMCACHED, "-U", str(port), "-p", str(port), "-l", host,
                "-m", str(memory_mb), "-t", str(threads)]
        if os.geteuid() == 0:
            argv += ["-u", "root"]
        return cls("memcached", argv, port, host=host)

    @classmethod
    def daemon(cls, path, memory_mb=64, threads=2, extra=(), udp_admin="on", host=HOST):
        port = free_port()
        # --udp-admin on: the differential tests compare stats, flush_all...
        # over UDP with memcached's; udp_budget.py tests the default (off).
        argv = [path, "--backend", "socket", "--listen", host, "--port", str(port),
                "--tcp-port", str(port), "--memory-limit", str(memory_mb),
                "--threads", str(threads), "--udp-admin", udp_admin, *extra]
        private_dir = tempfile.mkdtemp(prefix="unbuckle-it-")
        argv += _daemon_private_paths(path, private_dir)
        return cls("unbuckle-xdp", argv, port, private_dir, host=host)

    def _wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: "
                                   f"{' '.join(self.argv)}\n{self.log_text()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as s:
                    s.sendall(b"version\r\n")
                    if s.recv(100).startswith(b"VERSION"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer on port {self.port} within {timeout}s")

    def log_text(self, limit=4000):
        try:
            with open(self.log.name, "rb") as f:
                return f.read()[-limit:].decode(errors="replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def rss_kb(self):
        """VmRSS of the server process in KiB."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        """SIGTERM, then SIGKILL after 5 s; removes the log and private files."""
        if self.log.closed:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.log.close()
        os.unlink(self.log.name)
        if self.private_dir:
            shutil.rmtree(self.private_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _daemon_private_paths(path, directory):
    """A control socket in `directory`, so that parallel tests never share
    /run paths. Only passed when the daemon's --help lists the flag."""
    try:
        text = subprocess.run([path, "--help"], capture_output=True, text=True,
                              timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    if "--control-socket" not in text:
        return []
    return ["--control-socket", os.path.join(directory, "control.sock")]


# ---------------------------------------------------------------- UDP frames

Datagram = namedtuple("Datagram", "req_id seq total reserved payload")


def frame(req_id, seq=0, total=1, reserved=0):
    return FRAME_HEADER.pack(req_id, seq, total, reserved)


def parse_datagram(data):
    if len(data) < FRAME_HEADER.size:
        return Datagram(-1, -1, -1, -1, data)
    return Datagram(*FRAME_HEADER.unpack_from(data), data[FRAME_HEADER.size:])


def group_messages(datagrams):
    """Split a request's datagrams (arrival order) into reply messages: each
    memcached response object restarts at seq 0. Returns lists of datagrams."""
    messages = []
    for d in datagrams:
        if d.seq == 0 or not messages:
            messages.append([])
        messages[-1].append(d)
    return messages


def message_payload(message):
    """The message's payload in seq order, or None while a datagram is missing."""
    total = message[0].total
    by_seq = {d.seq: d.payload for d in message}
    if total == 0:
        return message[0].payload
    if sorted(by_seq) != list(range(total)):
        return None
    return b"".join(by_seq[i] for i in range(total))


def framing_problems(message):
    """Ways a reply message breaks memcached's framing rules (empty when fine)."""
    problems = []
    total = message[0].total
    if any(d.total != total for d in message):
        problems.append("total changes within a message")
    if any(d.reserved != 0 for d in message):
        problems.append("reserved field is not 0")
    if [d.seq for d in message] != list(range(max(total, 1))):
        problems.append(f"seqs {[d.seq for d in message]} for total {total}")
    for d in message[:-1]:
        if len(d.payload) != UDP_DATA_SIZE:
            problems.append(f"non-final datagram of {len(d.payload)} bytes")
    return problems


class UdpClient:
    def __init__(self, port, host=HOST):
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECV_BUFFER)
        # Loopback tests stay bound to 127.0.0.1; elsewhere the route picks the source.
        self.sock.bind((HOST if host == HOST else "", 0))
        self.sock.setblocking(False)
        self.sent_sizes = []  # of every datagram sent, frame header included

    def send_raw(self, data):
        self.sock.sendto(data, self.addr)
        self.sent_sizes.append(len(data))

    def send(self, payload, req_id):
        self.send_raw(frame(req_id) + payload)

    def drain(self):
        """Every datagram already queued, parsed."""
        out = []
        while True:
            try:
                data, src = self.sock.recvfrom(65536)
            except BlockingIOError:
                return out
            if src == self.addr:
                out.append(parse_datagram(data))

    def collect(self, quiet=0.3, deadline=3.0):
        """Datagrams from the server until `quiet` seconds pass without one."""
        out = []
        end = time.monotonic() + deadline
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        try:
            while time.monotonic() < end:
                if not sel.select(min(quiet, max(end - time.monotonic(), 0))):
                    break
                out += self.drain()
        finally:
            sel.close()
        return out

    def close(self):
        self.sock.close()


class TcpClient:
    def __init__(self, port, host=HOST):
        self.host = host
        self.port = port
        self.connect()

    def connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.closed = False

    def send(self, data):
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        finally:
            self.sock.setblocking(False)

    def read_available(self):
        """Bytes already queued; marks the connection closed on EOF."""
        chunks = []
        while True:
            try:
                chunk = self.sock.recv(1 << 20)
            except BlockingIOError:
                break
            except ConnectionResetError:
                self.closed = True
                break
            if not chunk:
                self.closed = True
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def request(self, data, done=None, quiet=0.3, deadline=5.0):
        """Send `data`, read until done(reply) or `quiet` seconds of silence."""
        self.send(data)
        reply = b""
        end = time.monotonic() + deadline
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        try:
            while time.monotonic() < end and not self.closed:
                if done is not None and done(reply):
                    break
                if not sel.select(min(quiet, max(end - time.monotonic(), 0))):
                    break
                reply += self.read_available()
        finally:
            sel.close()
        return reply

    def close(self):
        self.sock.close()


def stats(port, sub="", host=HOST):
    """`stats [sub]` over TCP as a dict of name -> value string."""
    client = TcpClient(port, host)
    try:
        command = f"stats {sub}".strip().encode() + b"\r\n"
        reply = client.request(command, done=lambda r: r.endswith(b"END\r\n") or
                               r.startswith(b"ERROR") or r.startswith(b"CLIENT_ERROR"))
    finally:
        client.close()
    out = {}
    for line in reply.split(b"\r\n"):
        parts = line.split(b" ", 2)
        if len(parts) == 3 and parts[0] == b"STAT":
            out[parts[1].decode()] = parts[2].decode(errors="replace")
    return out


# ------------------------------------------------------------ reply parsing

def split_replies(buf):
    """Split a reply stream into units: a `VALUE`/`VA` line with its data
    block, or one line. Returns (units, leftover bytes of an incomplete unit)."""
    units = []
    pos = 0
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            break
        line = buf[pos:eol]
        end = eol + 2
        size = _data_size(line)
        if size is not None:
            end += size + 2
            if end > len(buf):
                break
        units.append(buf[pos:end])
        pos = end
    return units, buf[pos:]


def _data_size(line):
    parts = line.split(b" ")
    try:
        if parts[0] == b"VALUE" and len(parts) >= 4:
            return int(parts[3])
        if parts[0] == b"VA" and len(parts) >= 2:
            return int(parts[1])
    except ValueError:
        return None
    return None


def is_terminal(unit):
    """True for a unit that ends a command's reply (VALUE and STAT lines do not)."""
    return not (unit.startswith(b"VALUE ") or unit.startswith(b"STAT "))


def count_terminals(buf):
    units, _ = split_replies(buf)
    return sum(1 for u in units if is_terminal(u))


def count_mn(buf):
    units, _ = split_replies(buf)
    return sum(1 for u in units if u == b"MN\r\n")

