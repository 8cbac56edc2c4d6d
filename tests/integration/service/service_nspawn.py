#!/usr/bin/python3
"""The Debian package under a real systemd (systemd-nspawn, see
nspawn_container.py), in a network namespace this test makes: the
container's interface is one end of a veth, the other end is in a client
namespace whose route to the server is checked before anything is sent.

  install   dpkg -i of the package cpack builds; postinst enables and starts
            the service (no interface in the shipped config: socket backend)
  attach    the config names the container's veth; systemctl restart:
            Type=notify makes `restart` return only once it serves
  serve     from the client namespace: SET over TCP, GET over UDP, SET over
            UDP, GET over TCP; the AF_XDP counters of `stats` moved
  reload    systemctl reload (SIGHUP): log level applied, memory-limit named
            as needing a restart, the unit stays active; journal lines carry
            priorities and no timestamps of the daemon's own
  stop      no XDP program on the veth, no pin left
  remove    dpkg -r stops the running service (prerm): nothing left; purge
            removes the config

Needs root and systemd-nspawn; exits 77 (skipped) where nspawn cannot run.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "../afxdp"))
import mcharness as mc  # noqa: E402
import netns  # noqa: E402
import nspawn_container  # noqa: E402

SKIP = 77
PORT = 11211
UNIT = "unbuckle-xdp"
CONF = "/etc/unbuckle-xdp/unbuckle-xdp.conf"
failures = []


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        failures.append(message)
    return condition


def skip(reason):
    print(f"SKIP: {reason}", flush=True)
    sys.exit(SKIP)


def build_package(cpack, build_dir, out_dir):
    """The server package; cpack also makes unbuckle-xdp-dev and
    python3-unbuckle-client, which packaging/debian_packages.py tests."""
    nspawn_container.run(cpack, "-G", "DEB", "-B", out_dir, "--config",
                         os.path.join(build_dir, "CPackConfig.cmake"), timeout=300)
    debs = [f for f in os.listdir(out_dir) if f.startswith("unbuckle-xdp_") and f.endswith(".deb")]
    if len(debs) != 1:
        raise RuntimeError(f"cpack made {sorted(os.listdir(out_dir))} in {out_dir}: no single unbuckle-xdp_*.deb")
    return os.path.join(out_dir, debs[0])


def write_config(share, name, **keys):
    """A config file in the shared directory (copied into /etc by the test)."""
    with open(os.path.join(share, name), "w") as f:
        for key, value in keys.items():
            f.write(f"{key.replace('_', '-')} = {value}\n")


def install_config(box, name):
    box.run("cp", f"{box.SHARE}/{name}", CONF)


def is_active(box):
    return box.systemctl("is-active", UNIT, check=False).stdout.strip()


def serve(net):
    """GET and SET over UDP (AF_XDP) and TCP from the client namespace."""
    net.enter_client()   # checks that the route to the server is the veth
    try:
        before = mc.stats(PORT, host=netns.SERVER_IP)
        tcp = mc.TcpClient(PORT, netns.SERVER_IP)
        udp = mc.UdpClient(PORT, netns.SERVER_IP)
        try:
            reply = tcp.request(b"set over-tcp 0 0 5\r\nhello\r\n",
                                done=lambda r: r.endswith(b"\r\n"))
            check(reply == b"STORED\r\n", f"TCP set: {reply!r}")
            udp.send(b"get over-tcp\r\n", 1)
            got = [d.payload for d in udp.collect()]
            check(got == [b"VALUE over-tcp 0 5\r\nhello\r\nEND\r\n"],
                  f"UDP get of the TCP set: {got!r}")
            udp.send(b"set over-udp 0 0 5\r\nworld\r\n", 2)
            got = [d.payload for d in udp.collect()]
            check(got == [b"STORED\r\n"], f"UDP set: {got!r}")
            reply = tcp.request(b"get over-udp\r\n", done=lambda r: r.endswith(b"END\r\n"))
            check(reply == b"VALUE over-udp 0 5\r\nworld\r\nEND\r\n",
                  f"TCP get of the UDP set: {reply!r}")
        finally:
            tcp.close()
            udp.close()
        after = mc.stats(PORT, host=netns.SERVER_IP)
    finally:
        net.leave()
    moved = {name: int(after[name]) - int(before.get(name, 0))
             for name in ("afxdp_rx_frames", "afxdp_tx_frames") if name in after}
    # The UDP set at least: the get may be answered by XDP from the kernel cache.
    check(len(moved) == 2 and all(v >= 1 for v in moved.values()),
          f"UDP went through AF_XDP: stats moved by {moved}")


def nothing_left(net, when):
    check(not net.xdp_attached(), f"{when}: no XDP program on {netns.SERVER_IF}")
    # Pins are files; maps.debug and progs.debug are the kernel's own
    # (bpf_preload) in every bpffs, and libxdp keeps its empty xdp/ directory.
    pins = [os.path.relpath(os.path.join(root, f), net.bpffs)
            for root, _, files in os.walk(net.bpffs) for f in files
            if root != net.bpffs or f not in ("maps.debug", "progs.debug")]
    pins += [d for d in ("unbuckle-xdp",) if os.path.exists(os.path.join(net.bpffs, d))]
    check(pins == [], f"{when}: no pin left in the container's bpffs: {pins}")


def reload(box, share):
    write_config(share, "reload.conf", interface=f'["{netns.SERVER_IF}"]', log_level="debug",
                 memory_limit=32)
    install_config(box, "reload.conf")
    pid = box.systemctl("show", "-P", "MainPID", UNIT).stdout.strip()
    reloads = box.journal(UNIT, "-o", "cat").count("reload: done")
    box.systemctl("reload", UNIT)
    deadline = time.monotonic() + 10
    journal = ""
    while journal.count("reload: done") <= reloads and time.monotonic() < deadline:
        time.sleep(0.2)
        journal = box.journal(UNIT, "-o", "cat")
    check("reload: log-level debug (was info)" in journal, "reload applied the log level")
    check("reload: memory-limit changed but is read at start-up only" in journal,
          "reload named memory-limit as needing a restart")
    check(is_active(box) == "active", f"active after reload: {is_active(box)}")
    check(box.systemctl("show", "-P", "MainPID", UNIT).stdout.strip() == pid,
          "reload kept the process")
    warnings = box.journal(UNIT, "-o", "cat", "-p", "warning")
    check("memory-limit changed" in warnings and "serving:" not in warnings,
          "journal priorities: the reload's warning is at warning, the start-up line is not")
    lines = [l for l in journal.splitlines() if l.startswith(("info:", "warning:", "debug:"))]
    check(lines and all(not l[:1].isdigit() for l in journal.splitlines()),
          "journal lines start with the level, without a timestamp of their own")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--cpack", default="cpack")
    parser.add_argument("--xdp-pass", required=True)
    args = parser.parse_args()
    if os.geteuid() != 0:
        skip("needs root")
    if not shutil.which("systemd-nspawn"):
        skip("systemd-nspawn is missing (systemd-container; tools/install-deps.sh installs it)")
    if not nspawn_container.cgroup_dirs("probe"):
        skip("no cgroup hierarchy nspawn can use")

    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="unbuckle-service-")
    os.chmod(work, 0o755)
    share = os.path.join(work, "share")
    os.mkdir(share)
    try:
        deb = build_package(args.cpack, args.build_dir, share)
        depends = nspawn_container.run("dpkg-deb", "-f", deb, "Depends").stdout.strip()
        try:
            tree = nspawn_container.cached_tree(nspawn_container.real_packages(depends))
        except nspawn_container.Unavailable as e:
            skip(str(e))
        missing = nspawn_container.missing_packages(tree, depends)
        if not check(not missing, f"the tree satisfies the package's Depends (missing: {missing})"):
            return 1
        print(f"tree ready after {time.monotonic() - started:.1f} s", flush=True)
        with netns.VethNamespaces(1, args.xdp_pass) as net, \
                nspawn_container.Container(tree, f"ubxsvc{os.getpid()}", net.server, net.bpffs,
                                           share, os.path.join(work, "console.log")) as box:
            print(f"booted after {time.monotonic() - started:.1f} s", flush=True)
            try:
                scenario(box, net, share, os.path.basename(deb))
            finally:
                if failures:
                    print(box.journal(UNIT)[-4000:], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"service_nspawn: {len(failures)} failures in {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


def scenario(box, net, share, deb):
    box.run("dpkg", "-i", f"{box.SHARE}/{deb}")
    check(is_active(box) == "active", f"postinst started the service: {is_active(box)}")
    check(box.run("systemctl", "is-enabled", UNIT, check=False).stdout.strip() == "enabled",
          "postinst enabled the service")

    # The xdp backend with no interface: unbucklectl attaches one at run time.
    write_config(share, "xdp.conf", backend="xdp")
    install_config(box, "xdp.conf")
    restarted = box.systemctl("restart", UNIT, check=False)
    if not check(restarted.returncode == 0 and is_active(box) == "active",
                 f"active with the xdp backend after restart: {restarted.stderr.strip()}"):
        return
    attached = box.run("unbucklectl", "attach", netns.SERVER_IF, check=False)
    if not check(attached.returncode == 0 and net.xdp_attached(),
                 f"unbucklectl attach {netns.SERVER_IF}: {attached.stdout}{attached.stderr}"):
        return
    status = box.run("unbucklectl", "status").stdout
    check(f"interface {netns.SERVER_IF}: driver veth" in status, f"unbucklectl status:\n{status}")
    serve(net)
    detached = box.run("unbucklectl", "detach", netns.SERVER_IF, check=False)
    check(detached.returncode == 0, f"unbucklectl detach: {detached.stdout}{detached.stderr}")
    nothing_left(net, "after unbucklectl detach")

    # A reload after the config gained the interface attaches it at run time.
    write_config(share, "attach.conf", backend="xdp", interface=f'["{netns.SERVER_IF}"]')
    install_config(box, "attach.conf")
    box.systemctl("reload", UNIT)
    deadline = time.monotonic() + 10
    while not net.xdp_attached() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not check(net.xdp_attached() and is_active(box) == "active",
                 f"systemctl reload attached the config's {netns.SERVER_IF}"):
        return
    serve(net)
    reload(box, share)

    box.systemctl("stop", UNIT)
    check(is_active(box) == "inactive", f"inactive after stop: {is_active(box)}")
    nothing_left(net, "after systemctl stop")

    box.systemctl("start", UNIT)
    check(net.xdp_attached(), "serving again after systemctl start")
    box.run("dpkg", "-r", "unbuckle-xdp")
    check(is_active(box) != "active", f"dpkg -r stopped the service: {is_active(box)}")
    nothing_left(net, "after dpkg -r")
    check(box.run("test", "-e", CONF, check=False).returncode == 0, "dpkg -r keeps the config")
    box.run("dpkg", "--purge", "unbuckle-xdp")
    check(box.run("test", "-e", "/etc/unbuckle-xdp", check=False).returncode != 0,
          "dpkg --purge removes /etc/unbuckle-xdp")


if __name__ == "__main__":
    sys.exit(main())
