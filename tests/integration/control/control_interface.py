#!/usr/bin/python3
"""unbucklectl status and stats of a daemon serving a veth through XDP and
AF_XDP: the interface attached at start-up is listed with its driver, XDP
mode, copy mode, its two queues and the CPUs of their workers; items and
the kernel cache's fill agree with `stats` over TCP; stats and stats --json
carry the xdp_* and afxdp_* counters; at run time the veth is detached (its
XDP program goes, the items stay, TCP keeps serving) and attached again with
its two queues, which then serve UDP through AF_XDP or XDP; a second attach, a detach
of what is not attached and an interface that does not exist are refused
with their reasons; a clean stop removes the socket and the XDP program. The namespaces and the
veth are the test's own (../afxdp/netns.py).

Needs root; exits 77 (skipped) otherwise.
"""

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "afxdp"))
from ctlharness import REFUSED, SKIP, Ctl, mc, stat_lines, status_fields  # noqa: E402
import netns  # noqa: E402

PORT = 11211
KERNEL_CACHE_ENTRIES = 1024


def start_daemon(net, path, socket_path, cpus):
    argv = [path, "--interface", netns.SERVER_IF, "--xdp-mode", "native", "--port", str(PORT),
            "--allow", "10.202.0.0/24", "--pin-path", net.pin_path, "--memory-limit", "64",
            "--threads", "2", "--control-socket", socket_path, "--cpus", cpus,
            "--kernel-cache-entries", str(KERNEL_CACHE_ENTRIES)]
    daemon = mc.Server("unbuckle-xdp", net.server_exec_bpffs(*argv), PORT,
                       os.path.dirname(socket_path), host=netns.SERVER_IP)
    deadline = time.monotonic() + 10
    while "serving" not in daemon.log_text():
        if time.monotonic() > deadline:
            daemon.stop()
            raise RuntimeError("unbuckle-xdp answered TCP but never logged 'serving'")
        time.sleep(0.05)
    return daemon


def run(args):
    failures = []

    def check(condition, message):
        if not condition:
            failures.append(message)
            print(f"FAIL: {message}", flush=True)

    ctl = Ctl(args.ctl)
    cpus = [0, 1] if os.cpu_count() >= 2 else [0, 0]
    with netns.VethNamespaces(2, args.xdp_pass) as net:
        socket_path = os.path.join(tempfile.mkdtemp(prefix="unbuckle-ctl-if-"), "control.sock")
        net.enter_client()
        daemon = start_daemon(net, args.daemon, socket_path, ",".join(map(str, sorted(set(cpus)))))
        try:
            client = mc.TcpClient(PORT, netns.SERVER_IP)
            for i in range(5):
                client.request(f"set k{i} 0 0 3\r\nabc\r\n".encode())
            client.close()
            udp = mc.UdpClient(PORT, netns.SERVER_IP)
            udp.send(b"get k1\r\n", 1)
            replies = udp.collect()
            udp.close()
            check(any(b"VALUE k1 0 3" in mc.message_payload(m) for m in mc.group_messages(replies)),
                  "no UDP reply to get k1 through XDP")

            status_text = ctl.ok(socket_path, "status")
            status = status_fields(status_text)
            over_tcp = mc.stats(PORT, host=netns.SERVER_IP)
            check(status.get("backend") == "xdp", f"backend {status.get('backend')}")
            check(status.get("items") == "5", f"items {status.get('items')}, 5 were set")
            check(status.get("interfaces") == "1", f"interfaces {status.get('interfaces')}")
            check(status.get(f"interface {netns.SERVER_IF}") ==
                  "driver veth, XDP native, AF_XDP copy, 2 queues",
                  f"interface line:\n{status_text}")
            for queue in (0, 1):
                check(status.get(f"  queue {queue}") == f"worker on CPU {cpus[queue]}",
                      f"queue {queue} line:\n{status_text}")
            check(status.get("kernel cache") ==
                  f"{over_tcp['kernel_cache_entries']} of {KERNEL_CACHE_ENTRIES} entries",
                  f"kernel cache '{status.get('kernel cache')}', stats {over_tcp['kernel_cache_entries']}")

            fields = stat_lines(ctl.ok(socket_path, "stats"))
            over_tcp = mc.stats(PORT, host=netns.SERVER_IP)
            check(list(fields) == list(over_tcp), "stats names differ from TCP's")
            check(any(n.startswith("xdp_") for n in fields) and any(n.startswith("afxdp_") for n in fields),
                  f"no xdp_* or afxdp_* counters in stats: {list(fields)}")
            for name in ("curr_items", "cmd_set", "kernel_cache_capacity", "kernel_cache_entries"):
                check(fields.get(name) == over_tcp.get(name),
                      f"stats {name}: unbucklectl {fields.get(name)}, TCP {over_tcp.get(name)}")
            parsed = json.loads(ctl.ok(socket_path, "stats", "--json"))
            check(parsed.get("curr_items") == 5 and isinstance(parsed.get("xdp_redirect", 0), int)
                  and any(n.startswith("afxdp_") for n in parsed), f"stats --json: {parsed}")

            code, _, err = ctl.run(socket_path, "attach", netns.SERVER_IF)
            check(code == REFUSED and f"{netns.SERVER_IF} is already attached" in err,
                  f"second attach: exit {code}, {err!r}")
            out = ctl.ok(socket_path, "detach", netns.SERVER_IF)
            check(out.startswith(f"{netns.SERVER_IF}: detached"), f"detach printed {out!r}")
            check(not net.xdp_attached(), "an XDP program is left on the veth after detach")
            check(status_fields(ctl.ok(socket_path, "status")).get("interfaces") == "0",
                  "status still lists the detached veth")
            code, _, err = ctl.run(socket_path, "detach", netns.SERVER_IF)
            check(code == REFUSED and f"{netns.SERVER_IF} is not attached" in err,
                  f"second detach: exit {code}, {err!r}")
            check(mc.stats(PORT, host=netns.SERVER_IP).get("curr_items") == "5",
                  "items lost by the detach (or TCP stopped)")
            code, _, err = ctl.run(socket_path, "attach", "ubx-none0")
            check(code == REFUSED and "ubx-none0" in err and "no such interface" in err,
                  f"attach of a missing interface: exit {code}, {err!r}")

            hits_before = int(mc.stats(PORT, host=netns.SERVER_IP)["kernel_cache_hits"])
            # Every queue: a request arriving on a queue not served would be
            # passed to the kernel's socket and prove nothing here.
            out = ctl.ok(socket_path, "attach", netns.SERVER_IF, "--queues", "2", "--xdp-mode", "native")
            check(netns.SERVER_IF in out, f"attach printed {out!r}")
            check(net.xdp_attached(), "no XDP program on the veth after attach")
            status = status_fields(ctl.ok(socket_path, "status"))
            check(status.get(f"interface {netns.SERVER_IF}") ==
                  "driver veth, XDP native, AF_XDP copy, 2 queues", f"status after attach: {status}")
            udp = mc.UdpClient(PORT, netns.SERVER_IP)
            udp.send(b"get k2\r\n", 1)
            replies = udp.collect()
            udp.close()
            check(any(b"VALUE k2 0 3" in mc.message_payload(m) for m in mc.group_messages(replies)),
                  "no UDP reply to get k2 after the attach")
            # The new interface's AF_XDP counters start at 0; XDP may answer
            # from the kernel cache instead.
            after = mc.stats(PORT, host=netns.SERVER_IP)
            served = int(after["afxdp_rx_frames"]) + int(after["kernel_cache_hits"]) - hits_before
            check(served >= 1, f"the GET after the attach went neither through AF_XDP nor XDP: {after}")
        finally:
            daemon.proc.terminate()
            daemon.proc.wait(timeout=10)
            check(daemon.proc.returncode == 0, f"daemon exit {daemon.proc.returncode}")
            check(not os.path.exists(socket_path), "the control socket is left after a clean stop")
            check(not net.xdp_attached(), "an XDP program is left on the veth")
            daemon.stop()
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--ctl", required=True, help="path of unbucklectl")
    parser.add_argument("--xdp-pass", required=True, help="XDP pass program for the client end")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: namespaces, XDP and AF_XDP need root")
        return SKIP
    started = time.monotonic()
    failures = run(args)
    print(f"{len(failures)} failures in {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
