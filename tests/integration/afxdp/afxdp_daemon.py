#!/usr/bin/python3
"""unbuckle-xdp --interface on a veth in namespaces made by this test (and on
the server namespace's own lo): memcached UDP served through XDP + AF_XDP,
TCP through the kernel, exact bytes both ways, then the faults.

  single queue  TCP set -> UDP get, UDP set -> TCP get, IPv6, a 200 kB value
                in 144 datagrams, the XDP redirect counter, memcaslap --udp
  kill -9       ping, TCP and another UDP port still work; memcached UDP
                reaches the kernel (ICMP port unreachable, not a black hole);
                a new daemon replaces the stale program and serves again
  SIGTERM       exit 0, no XDP program left, no pins left
  two queues    numrxqueues 2: two workers, both serving
  two interfaces  ubx0 and the server namespace's lo served by one daemon:
                one store, set through one and got through the other
  lo            the embedded default, inside the server namespace: generic
                XDP, AF_XDP copy mode, route_localnet/accept_local restored
  modes         --zerocopy on refused on veth (status 2, nothing left
                attached), a missing interface refused; --busy-poll serving
                with native and skb XDP

Needs root; exits 77 (skipped) otherwise.
"""

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402
import netns  # noqa: E402

PORT = 11211
ECHO_PORT = 7007
SKIP = 77
ABI_HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "../../../include/unbuckle/bpf_abi.h")
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", flush=True)
    return condition


def _die_with_parent():
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Daemon:
    """unbuckle-xdp inside the server namespace; its log in a temporary file."""

    def __init__(self, net, path, interface, *extra):
        self.log = tempfile.NamedTemporaryFile(prefix="unbuckle-afxdp-", suffix=".log")
        self.private = tempfile.mkdtemp(prefix="unbuckle-afxdp-")
        # 256 MB: memcaslap writes over 60 MB of objects in a few seconds,
        # and a get miss must mean an error, not an eviction.
        argv = [path, "--interface", interface, "--port", str(PORT), "--pin-path", net.pin_path,
                "--memory-limit", "256", *extra]
        # The AF_XDP path itself unless asked: with the kernel cache (tests/
        # integration/kernel_cache/) XDP would answer the plain gets counted here.
        if "--kernel-cache" not in extra:
            argv += ["--kernel-cache", "off"]
        if "--control-socket" in subprocess.run([path, "--help"], capture_output=True,
                                                text=True, timeout=10).stdout:
            argv += ["--control-socket", os.path.join(self.private, "control.sock")]
        self.proc = subprocess.Popen(net.server_exec_bpffs(*argv),
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 15
        while "serving" not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                text = self.text()
                self.close()
                raise RuntimeError(f"unbuckle-xdp did not start: {' '.join(argv)}\n{text}")
            time.sleep(0.05)

    def text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def terminate(self):
        """SIGTERM; the exit status, or None if it did not exit within 10 s."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def close(self):
        self.kill()
        shutil.rmtree(self.private, ignore_errors=True)
        self.log.close()


def udp_exchange(address, request, req_id=1, family=socket.AF_INET, port=PORT, terminator=None):
    """The reply messages (payloads in seq order) to one request datagram, and
    any framing problems. Reads until 0.3 s pass without a datagram, or, given
    `terminator`, until the reply is whole and ends with it."""
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.connect((address, port))
        sock.send(mc.frame(req_id) + request)
        datagrams = []
        sock.settimeout(2.0)
        try:
            while True:
                datagrams.append(mc.parse_datagram(sock.recv(65536)))
                sock.settimeout(0.3)
                if terminator is not None:
                    messages = mc.group_messages([d for d in datagrams if d.req_id == req_id])
                    payloads = [mc.message_payload(m) for m in messages]
                    if (all(p is not None for p in payloads)
                            and b"".join(payloads).endswith(terminator)):
                        break
        except socket.timeout:
            pass
    messages = mc.group_messages([d for d in datagrams if d.req_id == req_id])
    problems = [p for m in messages for p in mc.framing_problems(m)]
    payloads = [mc.message_payload(m) for m in messages]
    # An empty message (total 0: a multi-get's miss, as memcached 1.6 sends it) is b"".
    return b"".join(b"<missing datagram>" if p is None else p for p in payloads), problems


def tcp_exchange(address, request, done):
    with socket.create_connection((address, PORT), timeout=5) as sock:
        sock.sendall(request)
        reply = b""
        while not reply.endswith(done):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            reply += chunk
    return reply


def xdp_counters(net):
    """The XDP program's counters summed over CPUs, by name (bpf_abi.h order)."""
    with open(ABI_HEADER) as f:
        names = re.findall(r"^\s*X\((\w+),", f.read(), re.MULTILINE)
    path = os.path.join(net.pin_path, netns.SERVER_IF, "unbuckle_counters")
    dump = json.loads(netns.run("bpftool", "-j", "map", "dump", "pinned", path))
    counters = {}
    for entry in dump:
        key = entry["formatted"]["key"] if "formatted" in entry else int(entry["key"][0], 16)
        values = entry["formatted"]["values"] if "formatted" in entry else entry["values"]
        counters[names[key]] = sum(v["value"] for v in values)
    return counters


def ping(address):
    """One ICMP echo over a raw socket (this machine has no ping binary)."""
    ident = os.getpid() & 0xffff
    header = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"unbuckle"
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    packet = header[:2] + struct.pack("!H", ~total & 0xffff) + header[4:]
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        sock.settimeout(2)
        sock.sendto(packet, (address, 0))
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                reply = sock.recv(2048)
            except socket.timeout:
                return False
            icmp = reply[(reply[0] & 0x0f) * 4:]
            if icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
                return True
    return False


def echo_servers(net):
    """TCP and UDP echo on ECHO_PORT in the server namespace."""
    code = ("import socket,threading\n"
            "u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);u.bind(('0.0.0.0',%d))\n"
            "t=socket.socket();t.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
            "t.bind(('0.0.0.0',%d));t.listen()\n"
            "def udp():\n"
            " while True:\n"
            "  d,a=u.recvfrom(2048);u.sendto(d,a)\n"
            "threading.Thread(target=udp,daemon=True).start()\n"
            "while True:\n"
            " c,_=t.accept();c.sendall(c.recv(100));c.close()\n") % (ECHO_PORT, ECHO_PORT)
    proc = subprocess.Popen(net.server_exec(sys.executable, "-c", code),
                            preexec_fn=_die_with_parent)
    time.sleep(0.5)
    return proc


def run_memcaslap(net, seconds):
    argv = ["ip", "netns", "exec", net.client, shutil.which("memcaslap") or "memcaslap",
            f"--servers={netns.SERVER_IP}:{PORT}", "--udp", f"--time={seconds}s", "--threads=1",
            "--concurrency=8", "--verify=0.05"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    output = proc.stdout + proc.stderr
    counters = {m.group(1): int(m.group(2))
                for m in re.finditer(r"^(\w+): (\d+)$", output, re.MULTILINE)}
    bad = {n: counters.get(n) for n in ("get_misses", "verify_misses", "verify_failed",
                                        "packet_disorder", "packet_drop", "udp_timeout")
           if counters.get(n) != 0}
    # The reply budget must never be what an honest client meets.
    over_budget = mc.stats(PORT, host=netns.SERVER_IP)["udp_dropped_over_budget"]
    check(proc.returncode == 0 and not bad and counters.get("cmd_get", 0) > 0
          and counters.get("cmd_set", 0) > 0,
          f"memcaslap --udp through AF_XDP: status {proc.returncode}, {bad}, "
          f"{counters.get('cmd_get')} gets, {counters.get('cmd_set')} sets, "
          f"{over_budget} dropped over budget\n{output[-1500:]}")
    rate = re.search(r"Net_rate: (\S+)", output)
    print(f"memcaslap --udp: {counters.get('cmd_get')} gets, {counters.get('cmd_set')} sets, "
          f"{rate.group(1) if rate else '?'}, {over_budget} dropped over budget, clean: {not bad}", flush=True)


def resident_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) >> 10


def single_queue(args):
    with netns.VethNamespaces(1, args.xdp_pass) as net:
        daemon = Daemon(net, args.daemon, netns.SERVER_IF)
        try:
            text = daemon.text()
            check("ubx0 (veth): XDP native, AF_XDP copy (zero-copy refused" in text,
                  f"start-up line names veth, native XDP and the copy fallback:\n{text}")
            # The kernel pins a umem when it is registered: the queue's 16 MiB
            # of frames are resident from start-up, the item arena (in no
            # umem) is not, as the socket backend's.
            rss = resident_mb(daemon.proc.pid)
            check("memory 256 MB," in text and "a 16 MiB umem each" in text and 16 <= rss < 128,
                  f"16 MB of frames resident from start-up, the 256 MB item arena not: "
                  f"VmRSS {rss} MB\n{text}")
            net.enter_client()
            single_queue_traffic(net)
            if shutil.which("memcaslap"):
                run_memcaslap(net, args.memcaslap_seconds)
            net.leave()
            before = xdp_counters(net)["redirect_no_socket"]

            daemon.kill()   # kill -9: no clean-up at all
            after_kill(net, before)

            daemon.close()
            daemon = Daemon(net, args.daemon, netns.SERVER_IF)
            check("replaced a stale unbuckle_xdp" in daemon.text(),
                  f"the restarted daemon replaces the stale program:\n{daemon.text()}")
            net.enter_client()
            reply, _ = udp_exchange(netns.SERVER_IP, b"set again 0 0 1\r\nx\r\n")
            check(reply == b"STORED\r\n", f"UDP set after the restart: {reply!r}")
            reply, _ = udp_exchange(netns.SERVER_IP, b"get again\r\n")
            check(reply == b"VALUE again 0 1\r\nx\r\nEND\r\n", f"UDP get after the restart: {reply!r}")
            net.leave()

            status = daemon.terminate()
            check(status == 0, f"SIGTERM: exit status {status}")
            check(not net.xdp_attached(), "SIGTERM: no XDP program left on ubx0")
            left = [os.path.join(d, f) for d, _, files in os.walk(net.pin_path) for f in files]
            check(not left, f"SIGTERM: no pins left, found {left}")
        finally:
            daemon.close()


def single_queue_traffic(net):
    ip, ip6 = netns.SERVER_IP, netns.SERVER_IP6
    reply = tcp_exchange(ip, b"set k 7 0 5\r\nhello\r\n", b"\r\n")
    check(reply == b"STORED\r\n", f"TCP set: {reply!r}")
    reply, problems = udp_exchange(ip, b"get k\r\n", req_id=4242)
    check(reply == b"VALUE k 7 5\r\nhello\r\nEND\r\n" and not problems,
          f"UDP get through AF_XDP: {reply!r} {problems}")
    reply, _ = udp_exchange(ip, b"set u 0 0 3\r\nudp\r\n")
    check(reply == b"STORED\r\n", f"UDP set through AF_XDP: {reply!r}")
    reply = tcp_exchange(ip, b"get u\r\n", b"END\r\n")
    check(reply == b"VALUE u 0 3\r\nudp\r\nEND\r\n", f"TCP get of a UDP set: {reply!r}")
    reply, _ = udp_exchange(ip6, b"get k\r\n", family=socket.AF_INET6)
    check(reply == b"VALUE k 7 5\r\nhello\r\nEND\r\n", f"UDP get over IPv6: {reply!r}")

    value = bytes((i * 7) % 251 for i in range(200000))
    reply = tcp_exchange(ip, b"set big 0 0 200000\r\n" + value + b"\r\n", b"\r\n")
    check(reply == b"STORED\r\n", f"TCP set of 200 kB: {reply!r}")
    reply, problems = udp_exchange(ip, b"get big\r\n", req_id=9)
    check(reply == b"VALUE big 0 200000\r\n" + value + b"\r\nEND\r\n" and not problems,
          f"UDP get of 200 kB: {len(reply)} bytes, framing {problems[:3]}")
    net.leave()
    counters = xdp_counters(net)
    net.enter_client()
    check(counters.get("redirect", 0) >= 4, f"XDP redirected the UDP requests: {counters}")


def after_kill(net, no_socket_before):
    check(net.xdp_attached(), "after kill -9 the program stays (its XSKMAP slot is empty)")
    echo = echo_servers(net)
    try:
        net.enter_client()
        check(ping(netns.SERVER_IP), "ping after kill -9")
        try:
            with socket.create_connection((netns.SERVER_IP, ECHO_PORT), timeout=3) as tcp:
                tcp.sendall(b"tcp ok")
                check(tcp.recv(100) == b"tcp ok", "TCP echo after kill -9")
        except OSError as e:
            check(False, f"TCP after kill -9: {e}")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.settimeout(3)
            udp.connect((netns.SERVER_IP, ECHO_PORT))
            udp.send(b"udp ok")
            try:
                check(udp.recv(100) == b"udp ok", "UDP echo on another port after kill -9")
            except OSError as e:
                check(False, f"UDP on another port after kill -9: {e}")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.settimeout(3)
            udp.connect((netns.SERVER_IP, PORT))
            udp.send(mc.frame(1) + b"get k\r\n")
            try:
                udp.recv(100)
                check(False, "memcached UDP after kill -9: an answer, from whom?")
            except ConnectionRefusedError:
                pass   # the kernel got it and has no socket there: ICMP port unreachable
            except socket.timeout:
                check(False, "memcached UDP after kill -9 vanished (black hole)")
        net.leave()
        counters = xdp_counters(net)
        check(counters["redirect_no_socket"] > no_socket_before,
              f"the request went through XDP_PASS for want of a socket: {counters}")
    finally:
        echo.kill()
        echo.wait(timeout=10)


def two_queues(args):
    with netns.VethNamespaces(2, args.xdp_pass) as net:
        daemon = Daemon(net, args.daemon, netns.SERVER_IF)
        try:
            check("2 of 2 RX queues" in daemon.text(), f"two queues served:\n{daemon.text()}")
            net.enter_client()
            tcp_exchange(netns.SERVER_IP, b"set q 0 0 2\r\nqq\r\n", b"\r\n")
            answers = 0
            for i in range(32):   # 32 flows spread over the client's two TX queues
                reply, _ = udp_exchange(netns.SERVER_IP, b"get q\r\n", req_id=i)
                answers += reply == b"VALUE q 0 2\r\nqq\r\nEND\r\n"
            check(answers == 32, f"{answers} of 32 gets answered over two queues")
            net.leave()
            check(daemon.terminate() == 0, "SIGTERM with two queues")
            served = [int(n) for n in re.findall(r"ubx0 queue \d: (\d+) frames in", daemon.text())]
            check(len(served) == 2 and all(n > 0 for n in served),
                  f"both workers served requests: {served}\n{daemon.text()}")
        finally:
            daemon.close()


def two_interfaces(args):
    with netns.VethNamespaces(1, args.xdp_pass) as net:
        daemon = Daemon(net, args.daemon, netns.SERVER_IF, "--interface", "lo")
        try:
            text = daemon.text()
            check("ubx0 (veth): XDP native" in text and "lo (loopback): XDP skb" in text,
                  f"start-up lines for both interfaces:\n{text}")
            net.enter_client()
            reply, _ = udp_exchange(netns.SERVER_IP, b"set via 0 0 4\r\nveth\r\n")
            check(reply == b"STORED\r\n", f"UDP set through ubx0: {reply!r}")
            net.leave()
            net.enter_server()   # the server namespace's lo, never the host's
            reply, _ = udp_exchange("127.0.0.1", b"get via\r\n")
            check(reply == b"VALUE via 0 4\r\nveth\r\nEND\r\n", f"UDP get through lo of a set through ubx0: {reply!r}")
            reply, _ = udp_exchange("127.0.0.1", b"set back 0 0 2\r\nlo\r\n")
            check(reply == b"STORED\r\n", f"UDP set through lo: {reply!r}")
            net.leave()
            net.enter_client()
            reply, _ = udp_exchange(netns.SERVER_IP, b"get back\r\n")
            check(reply == b"VALUE back 0 2\r\nlo\r\nEND\r\n", f"UDP get through ubx0 of a set through lo: {reply!r}")
            net.leave()
            check(daemon.terminate() == 0, "SIGTERM with two interfaces")
            check(not net.xdp_attached(), "SIGTERM: no XDP program left on ubx0")
            check(not net.xdp_attached("lo"), "SIGTERM: no XDP program left on the server namespace's lo")
            served = re.findall(r"(ubx0|lo) queue 0: (\d+) frames in", daemon.text())
            check(len(served) == 2 and all(int(n) >= 2 for _, n in served),
                  f"both interfaces' workers served requests: {served}\n{daemon.text()}")
        finally:
            daemon.close()


def loopback(args):
    with netns.VethNamespaces(1) as net:
        daemon = Daemon(net, args.daemon, "lo")
        try:
            check("lo (loopback): XDP skb, AF_XDP copy" in daemon.text(),
                  f"lo start-up line:\n{daemon.text()}")
            net.enter_server()   # the server namespace's lo, never the host's
            sysctl = "/proc/sys/net/ipv4/conf/lo/route_localnet"
            with open(sysctl) as f:
                check(f.read().strip() == "1", "route_localnet set on lo while serving")
            reply = tcp_exchange("127.0.0.1", b"set lo 0 0 2\r\nok\r\n", b"\r\n")
            check(reply == b"STORED\r\n", f"TCP set on lo: {reply!r}")
            reply, _ = udp_exchange("127.0.0.1", b"get lo\r\n")
            check(reply == b"VALUE lo 0 2\r\nok\r\nEND\r\n", f"UDP get on lo: {reply!r}")
            reply, _ = udp_exchange("::1", b"get lo\r\n", family=socket.AF_INET6)
            check(reply == b"VALUE lo 0 2\r\nok\r\nEND\r\n", f"UDP get on ::1: {reply!r}")
            check(daemon.terminate() == 0, "SIGTERM on lo")
            with open(sysctl) as f:
                check(f.read().strip() == "0", "route_localnet restored on lo")
            net.leave()
        finally:
            daemon.close()


def modes(args):
    """--zerocopy on refused on veth; --busy-poll served in native and skb mode."""
    with netns.VethNamespaces(1, args.xdp_pass) as net:
        refused = subprocess.run(
            net.server_exec_bpffs(args.daemon, "--interface", netns.SERVER_IF, "--port", str(PORT),
                                  "--pin-path", net.pin_path, "--zerocopy", "on"),
            capture_output=True, text=True, timeout=30)
        check(refused.returncode == 2 and "cannot bind an AF_XDP socket to ubx0 queue 0 (zero-copy)"
              in refused.stderr, f"--zerocopy on refused on veth with status 2: {refused.returncode}\n"
              f"{refused.stderr[-800:]}")
        check(not net.xdp_attached(), "a refused start leaves no XDP program attached")
        missing = subprocess.run(
            net.server_exec_bpffs(args.daemon, "--interface", "nosuch9", "--port", str(PORT),
                                  "--pin-path", net.pin_path),
            capture_output=True, text=True, timeout=30)
        check(missing.returncode == 2 and "cannot attach XDP to nosuch9: no such interface" in missing.stderr,
              f"a missing interface is refused with status 2: {missing.returncode}\n{missing.stderr[-800:]}")
        for mode in ("native", "skb"):
            daemon = Daemon(net, args.daemon, netns.SERVER_IF, "--busy-poll", "--xdp-mode", mode)
            try:
                check(f"XDP {mode}, AF_XDP copy" in daemon.text() and "busy-poll on" in daemon.text(),
                      f"start-up line names {mode} XDP and busy-poll:\n{daemon.text()}")
                net.enter_client()
                value = mode.encode()
                reply, _ = udp_exchange(netns.SERVER_IP, b"set busy 0 0 %d\r\n%s\r\n" % (len(value), value))
                check(reply == b"STORED\r\n", f"UDP set with --busy-poll, {mode}: {reply!r}")
                reply, problems = udp_exchange(netns.SERVER_IP, b"get busy\r\n", req_id=77)
                check(reply == b"VALUE busy 0 %d\r\n%s\r\nEND\r\n" % (len(value), value) and not problems,
                      f"UDP get with --busy-poll, {mode}: {reply!r} {problems}")
                net.leave()
                counters = xdp_counters(net)
                check(counters.get("redirect", 0) >= 2, f"XDP ({mode}) redirected the requests: {counters}")
                check(daemon.terminate() == 0, f"SIGTERM with --busy-poll, {mode}")
            finally:
                daemon.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--xdp-pass", required=True, help="XDP pass program for the client end")
    parser.add_argument("--memcaslap-seconds", type=int, default=5)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    for part in (single_queue, two_queues, two_interfaces, loopback, modes):
        print(f"== {part.__name__}", flush=True)
        try:
            part(args)
        except Exception as e:  # a broken step fails the test, the others still run
            check(False, f"{part.__name__}: {type(e).__name__}: {e}")
    print(f"afxdp_daemon: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
