#!/usr/bin/python3
"""unbuckle-xdp --interface on a veth in namespaces made by this test, under
the faults an operator meets (README "Faults"):

  link down/up   the server end set down while a 2900-datagram reply is being
                 sent: the reply waits on the TX ring, what does not fit is
                 counted as dropped, nothing hangs; the log says "set down" and
                 "link up again"; after up the held datagrams leave, every one
                 intact, every frame is back, and gets are answered again
  fill starved   the daemon stopped (SIGSTOP) under 3000 requests: the kernel
                 drops what finds no fill-ring frame and counts it
                 (afxdp_kernel_rx_fill_ring_empty_descs); once it runs again,
                 every frame is back and it serves
  MTU            9000 refused by the kernel while XDP is attached; 3000
                 accepted and logged; 1000 logged as a warning naming the fix;
                 serving throughout
  removed        the interface deleted under the daemon: logged, and SIGTERM
                 still exits 0 without a detach error
  bpffs          --pin-path not on a bpffs, and no bpffs at /sys/fs/bpf (as
                 `ip netns exec` leaves it): status 2, a line naming the file
                 system and the mount to make, nothing attached; bpffs missing
                 at /sys/fs/bpf only: served (libxdp attaches without its
                 dispatcher)
  verifier       the daemon without CAP_PERFMON and CAP_SYS_ADMIN (capsh): the
                 verifier really rejects the program; status 2 and "verifier
                 rejected unbuckle.bpf.o: <its last lines>" naming the
                 capability, nothing attached, no pins
  kill -9        the daemon killed while 1 MB replies are in flight: each
                 datagram that arrives is an exact piece of the reply, never a
                 corrupted one; a restarted daemon replaces the stale program
                 and serves

Needs root; exits 77 (skipped) otherwise.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402
import netns  # noqa: E402
from afxdp_daemon import PORT, Daemon, check, failures, tcp_exchange, udp_exchange  # noqa: E402

SKIP = 77
PREFIX = "flt"   # namespace names: fltsPID, fltcPID
FRAMES = 4096    # umem frames of one queue (daemon/afxdp/umem_cost.h)
# Replies of any size from one source: the faults here, not the budget.
UNLIMITED = ("--udp-reply-rate", "1g", "--udp-reply-burst", "1g")
SO_RCVBUFFORCE = 33   # not in Python's socket module: SO_RCVBUF beyond rmem_max


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def server_stats(net):
    """The daemon's `stats` over TCP on the server namespace's own lo (which
    works while the veth is down), numbers only."""
    net.enter_server()
    try:
        fields = mc.stats(PORT, host="127.0.0.1")
    finally:
        net.leave()
    return {name: int(value) for name, value in fields.items() if value.isdigit()}


def frames_home(net):
    """Whether every frame of the queue is free or on the fill ring again."""
    s = server_stats(net)
    return s["afxdp_frames_in_tx"] == 0 and s["afxdp_frames_free"] + s["afxdp_frames_in_fill"] == FRAMES


def set_link(net, *settings):
    return subprocess.run(["ip", "-n", net.server, "link", "set", netns.SERVER_IF, *settings],
                          capture_output=True, text=True, timeout=10)


def client_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    sock.connect((netns.SERVER_IP, PORT))
    return sock


def drain(sock, quiet=0.5):
    """Every datagram that arrives until `quiet` seconds pass without one."""
    datagrams = []
    sock.settimeout(quiet)
    try:
        while True:
            datagrams.append(mc.parse_datagram(sock.recv(65536)))
    except socket.timeout:
        pass
    return datagrams


def corrupted(datagrams, replies):
    """The datagrams that are not an exact piece of the reply to their
    request: `replies` maps request id to the messages (bytes) it may get."""
    bad = []
    for d in datagrams:
        pieces = [m[d.seq * mc.UDP_DATA_SIZE:(d.seq + 1) * mc.UDP_DATA_SIZE]
                  for m in replies.get(d.req_id, [])
                  if -(-len(m) // mc.UDP_DATA_SIZE) == d.total]
        if d.payload not in pieces:
            bad.append(d)
    return bad


def store_items(net, items):
    net.enter_client()
    try:
        for key, value in items.items():
            reply = tcp_exchange(netns.SERVER_IP, b"set %s 0 0 %d\r\n" % (key, len(value)) + value + b"\r\n",
                                 b"\r\n")
            check(reply == b"STORED\r\n", f"TCP set of {key!r}: {reply!r}")
    finally:
        net.leave()


def get_answered(net, key=b"k", value=b"v"):
    net.enter_client()
    try:
        reply, problems = udp_exchange(netns.SERVER_IP, b"get %s\r\n" % key)
    finally:
        net.leave()
    return reply == b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, len(value), value) and not problems


def link_down_up(args):
    with netns.VethNamespaces(1, args.xdp_pass, prefix=PREFIX) as net:
        daemon = Daemon(net, args.daemon, netns.SERVER_IF, *UNLIMITED)
        try:
            items = {b"big%d" % i: os.urandom(1000000) for i in range(4)}
            items[b"k"] = b"v"
            store_items(net, items)
            check(get_answered(net), "UDP get before the faults")
            # One message per item, each numbered from 0: 2876 datagrams,
            # more than the 2048 frames a worker keeps for replies.
            messages = [b"VALUE %s 0 %d\r\n%s\r\n" % (k, len(v), v) for k, v in items.items() if k != b"k"]
            replies = {5: messages + [m + b"END\r\n" for m in messages] + [b"END\r\n"]}
            before = server_stats(net)
            net.enter_client()
            sock = client_socket()
            net.leave()
            # The request waits on the RX ring of the stopped daemon; the link
            # goes down before its worker runs, so the reply meets it.
            os.kill(daemon.proc.pid, signal.SIGSTOP)
            sock.send(mc.frame(5) + b"get big0 big1 big2 big3\r\n")
            time.sleep(0.2)
            down = set_link(net, "down")
            os.kill(daemon.proc.pid, signal.SIGCONT)
            check(down.returncode == 0, f"ip link set down: {down.stderr}")
            check(wait_for(lambda: "ubx0: set down: memcached UDP through it stops until it is up again "
                                   "(ip link set ubx0 up)" in daemon.text(), 5),
                  f"the log says the link is down and how to bring it back:\n{daemon.text()[-1500:]}")
            held = {}
            check(wait_for(lambda: held.update(server_stats(net)) or held["afxdp_rx_frames"] > before["afxdp_rx_frames"]
                           and held["afxdp_frames_in_tx"] > 0, 5),
                  f"the reply waits on the TX ring while the link is down: {held}")
            started = time.monotonic()
            held = server_stats(net)
            check(time.monotonic() - started < 2, "the daemon answers `stats` while its reply is held")
            dropped = held["afxdp_tx_dropped_no_frame"] - before["afxdp_tx_dropped_no_frame"]
            check(dropped > 0 and held["afxdp_frames_free"] == 0,
                  f"what does not fit in the frames is dropped and counted: {held}")
            # The TX ring (2048) is as long as the frames for replies: they run out first.
            check(held["afxdp_tx_dropped_ring_full"] == before["afxdp_tx_dropped_ring_full"],
                  f"drops counted for want of a frame, not of TX ring room: {held}")
            up = set_link(net, "up")
            check(up.returncode == 0, f"ip link set up: {up.stderr}")
            check(wait_for(lambda: "ubx0: link up again: serving memcached UDP through AF_XDP" in daemon.text(), 5),
                  f"the log says the link is up again:\n{daemon.text()[-1500:]}")
            datagrams = drain(sock)
            sock.close()
            bad = corrupted(datagrams, replies)
            print(f"link down/up: {held['afxdp_frames_in_tx']} datagrams held on the TX ring, {dropped} dropped "
                  f"for want of a frame, {len(datagrams)} arrived after up", flush=True)
            check(len(datagrams) >= held["afxdp_frames_in_tx"] and not bad,
                  f"the held datagrams arrive after up, each intact: {len(datagrams)} arrived, "
                  f"{len(bad)} corrupted")
            check(wait_for(lambda: frames_home(net), 5), f"every frame is back after up: {server_stats(net)}")
            check(wait_for(lambda: get_answered(net), 5), "UDP get answered after the link came back")
            fill_starved(net, daemon)
        finally:
            daemon.close()


def fill_starved(net, daemon):
    before = server_stats(net)
    net.enter_client()
    sock = client_socket()
    net.leave()
    os.kill(daemon.proc.pid, signal.SIGSTOP)
    for i in range(3000):
        sock.send(mc.frame(i) + b"get k\r\n")
    time.sleep(0.2)
    os.kill(daemon.proc.pid, signal.SIGCONT)
    answered = len({d.req_id for d in drain(sock)})
    sock.close()
    after = server_stats(net)
    starved = (after["afxdp_kernel_rx_fill_ring_empty_descs"] - before["afxdp_kernel_rx_fill_ring_empty_descs"])
    print(f"fill ring starved: {answered} of 3000 answered, the kernel counted {starved} on an empty fill ring",
          flush=True)
    check(starved > 0 and answered + starved >= 3000 and answered >= 2000,
          f"requests past the fill ring are dropped by the kernel and counted: {answered} answered, "
          f"{starved} counted")
    check(wait_for(lambda: frames_home(net), 5), f"every frame is back after the stall: {server_stats(net)}")
    check(get_answered(net), "UDP get answered after the stall")


def mtu_and_removal(args):
    with netns.VethNamespaces(1, args.xdp_pass, prefix=PREFIX) as net:
        daemon = Daemon(net, args.daemon, netns.SERVER_IF)
        try:
            store_items(net, {b"k": b"v"})
            refused = set_link(net, "mtu", "9000")
            check(refused.returncode != 0 and "mtu greater than device maximum" in refused.stderr,
                  f"MTU 9000 refused by veth with native XDP attached: {refused.returncode} {refused.stderr}")
            check(get_answered(net), "UDP get after the refused MTU")
            check(set_link(net, "mtu", "3000").returncode == 0, "MTU 3000 accepted")
            check(wait_for(lambda: "ubx0: MTU 1500 -> 3000" in daemon.text(), 5),
                  f"the MTU change is logged:\n{daemon.text()[-1000:]}")
            check(get_answered(net), "UDP get with MTU 3000")
            check(set_link(net, "mtu", "1000").returncode == 0, "MTU 1000 accepted")
            check(wait_for(lambda: "ubx0: MTU 3000 -> 1000; MTU 1000 is below the 1448 bytes of a full reply "
                                   "datagram" in daemon.text() and "(ip link set ubx0 mtu 1500)" in daemon.text(), 5),
                  f"an MTU below a full reply datagram is a warning naming the fix:\n{daemon.text()[-1000:]}")
            check(get_answered(net), "UDP get with MTU 1000")

            deleted = subprocess.run(["ip", "-n", net.server, "link", "del", netns.SERVER_IF],
                                     capture_output=True, text=True, timeout=10)
            check(deleted.returncode == 0, f"ip link del: {deleted.stderr}")
            check(wait_for(lambda: "ubx0: the interface was removed" in daemon.text(), 5),
                  f"the removal is logged:\n{daemon.text()[-1000:]}")
            status = daemon.terminate()
            check(status == 0 and "cannot detach" not in daemon.text(),
                  f"SIGTERM after the removal: status {status}\n{daemon.text()[-1000:]}")
        finally:
            daemon.close()


def refused_start(net, argv, status, *expected):
    """Runs the daemon to a refused start; checks its status and message and
    that nothing is left on the interface."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired as e:
        check(False, f"{' '.join(argv)} started instead of being refused:\n{e.stderr}")
        return
    errors = [line for line in proc.stderr.splitlines() if " error: " in line]
    check(proc.returncode == status and len(errors) == 1 and all(e in errors[0] for e in expected),
          f"status {proc.returncode} (want {status}), one error line with {expected}:\n{proc.stderr[-1500:]}")
    check(not net.xdp_attached(), f"nothing attached after the refusal of {' '.join(argv[-4:])}")
    left = [os.path.join(d, f) for d, _, files in os.walk(net.pin_path) for f in files]
    check(not left, f"no pins left after the refusal, found {left}")


def bpffs_and_verifier(args):
    with netns.VethNamespaces(1, args.xdp_pass, prefix=PREFIX) as net:
        private = tempfile.mkdtemp(prefix="flt-")
        try:
            base = [args.daemon, "--interface", netns.SERVER_IF, "--port", str(PORT), "--kernel-cache", "off",
                    "--control-socket", os.path.join(private, "control.sock")]
            not_bpffs = os.path.join(private, "pins")
            refused_start(net, net.server_exec_bpffs(*base, "--pin-path", not_bpffs), 2,
                          f"--pin-path {not_bpffs} is not on a bpffs ({private} is ",
                          "mount -t bpf bpf /sys/fs/bpf")
            # `ip netns exec` gives the daemon a /sys of its own, without bpffs.
            refused_start(net, net.server_exec(*base), 2,
                          "--pin-path /sys/fs/bpf/unbuckle-xdp is not on a bpffs (/sys/fs/bpf is sysfs): "
                          "mount one (mount -t bpf bpf /sys/fs/bpf)")
            served = subprocess.Popen(net.server_exec(*base, "--pin-path", net.pin_path), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                check(wait_for(lambda: net.xdp_attached() or served.poll() is not None, 10) and served.poll() is None,
                      "no bpffs at /sys/fs/bpf but --pin-path on one: served")
                store_items(net, {b"k": b"v"})
                check(get_answered(net), "UDP get with libxdp's dispatcher unavailable")
            finally:
                served.send_signal(signal.SIGTERM)
                _, text = served.communicate(timeout=10)
            check(served.returncode == 0 and "Can't use dispatcher without a working bpffs" in text,
                  f"SIGTERM: status {served.returncode}; libxdp's line says why it has no dispatcher:\n{text[-800:]}")

            if not shutil.which("capsh"):
                print("verifier: capsh is missing, not tested", flush=True)
                return
            refused_start(net, net.server_exec_bpffs("capsh", "--drop=cap_sys_admin,cap_perfmon", "--", "-c",
                                                     'exec "$0" "$@"', *base, "--pin-path", net.pin_path), 2,
                          "error: verifier rejected unbuckle.bpf.o: ", "prohibited",
                          "give the daemon CAP_PERFMON or CAP_SYS_ADMIN")
        finally:
            shutil.rmtree(private, ignore_errors=True)


def killed_mid_reply(args):
    with netns.VethNamespaces(1, args.xdp_pass, prefix=PREFIX) as net:
        daemon = Daemon(net, args.daemon, netns.SERVER_IF, *UNLIMITED)
        try:
            value = os.urandom(1000000)
            store_items(net, {b"big": value})
            reply = b"VALUE big 0 %d\r\n%s\r\nEND\r\n" % (len(value), value)
            requests = 40
            net.enter_client()
            sock = client_socket()
            for i in range(requests):
                sock.send(mc.frame(i) + b"get big\r\n")
            sock.settimeout(5)
            # About a reply and a half in: kill -9 with the rest still going out.
            datagrams = [mc.parse_datagram(sock.recv(65536)) for _ in range(1000)]
            daemon.kill()
            datagrams += drain(sock)
            sock.close()
            net.leave()
            whole = len(reply) // mc.UDP_DATA_SIZE + 1
            by_request = {}
            for d in datagrams:
                by_request[d.req_id] = by_request.get(d.req_id, 0) + 1
            complete = sum(1 for n in by_request.values() if n == whole)
            bad = corrupted(datagrams, {i: [reply] for i in range(requests)})
            print(f"kill -9: {len(datagrams)} datagrams of {requests} replies of {whole} arrived: {complete} whole, "
                  f"{len(by_request) - complete} partial, {requests - len(by_request)} none; {len(bad)} corrupted",
                  flush=True)
            check(not bad and complete < requests, f"killed mid-reply: {len(bad)} corrupted datagrams, "
                  f"{complete} of {requests} replies whole")

            daemon.close()
            daemon = Daemon(net, args.daemon, netns.SERVER_IF, *UNLIMITED)
            check("replaced a stale unbuckle_xdp" in daemon.text(),
                  f"the restarted daemon replaces the stale program:\n{daemon.text()[-1000:]}")
            store_items(net, {b"big": value})
            net.enter_client()
            got, problems = udp_exchange(netns.SERVER_IP, b"get big\r\n", req_id=99, terminator=b"END\r\n")
            net.leave()
            check(got == reply and not problems, f"the restarted daemon serves 1 MB whole: {len(got)} bytes")
            check(daemon.terminate() == 0, "SIGTERM after the restart")
        finally:
            daemon.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--xdp-pass", required=True, help="XDP pass program for the client end")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    for part in (link_down_up, mtu_and_removal, bpffs_and_verifier, killed_mid_reply):
        print(f"== {part.__name__}", flush=True)
        started = time.monotonic()
        try:
            part(args)
        except Exception as e:  # a broken step fails the test, the others still run
            check(False, f"{part.__name__}: {type(e).__name__}: {e}")
        print(f"   {time.monotonic() - started:.1f} s", flush=True)
    print(f"afxdp_faults: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
