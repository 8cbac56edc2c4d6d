#!/usr/bin/python3
"""unbucklectl against unbuckle-xdp's socket backend on 127.0.0.1, each
subcommand and each error case: status and stats (the same values as
`stats` over TCP), stats --json, log-level (the daemon's log really
changes), attach/detach (refused: this daemon runs the socket backend), the
daemon not running, a stale socket file, bad commands and arguments, a
second daemon on the same socket, a clean stop removing the socket, a
client that sends nothing or too much, and, as root, permission denied by
the file system and by the daemon's SO_PEERCRED check, and --control-group.
The control socket lives in a temporary directory of the test.
"""

import argparse
import grp
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlharness import (OK, REFUSED, UNREACHABLE, USAGE, Ctl, mc, raw_request,  # noqa: E402
                        stat_lines, status_fields)

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", flush=True)


def control_path(server):
    return os.path.join(server.private_dir, "control.sock")


def start_daemon(daemon, socket_path, *extra):
    """The socket backend on a free port, its control socket at socket_path."""
    port = mc.free_port()
    argv = [daemon, "--backend", "socket", "--listen", mc.HOST, "--port", str(port),
            "--tcp-port", str(port), "--threads", "2", "--control-socket", socket_path, *extra]
    return mc.Server("unbuckle-xdp", argv, port, os.path.dirname(socket_path))


def tcp(server, data):
    client = mc.TcpClient(server.port)
    try:
        return client.request(data)
    finally:
        client.close()


def case_status_and_stats(ctl, server):
    path = control_path(server)
    for i in range(7):
        tcp(server, f"set key{i} 0 0 5\r\nvalue\r\n".encode())
    tcp(server, b"get key1 key2 nokey\r\n")
    status = status_fields(ctl.ok(path, "status"))
    over_tcp = mc.stats(server.port)
    check(status.get("pid") == str(server.pid), f"status pid {status.get('pid')}, daemon {server.pid}")
    check(status.get("items") == "7", f"status items {status.get('items')}, 7 were set")
    check(status.get("memory") == f"{over_tcp['bytes']} of {over_tcp['limit_maxbytes']} bytes used",
          f"status memory '{status.get('memory')}', stats bytes {over_tcp['bytes']} of "
          f"{over_tcp['limit_maxbytes']}")
    check(status.get("backend") == "socket", f"status backend {status.get('backend')}")
    check(status.get("interfaces") == "0", f"status interfaces {status.get('interfaces')}")
    check(status.get("kernel cache") == "off", f"status kernel cache {status.get('kernel cache')}")
    check(status.get("uptime", "").endswith(" s"), f"status uptime {status.get('uptime')}")

    text = ctl.ok(path, "stats")
    over_tcp = mc.stats(server.port)
    fields = stat_lines(text)
    check(list(fields) == list(over_tcp),
          f"stats field names differ from TCP's: {sorted(set(fields) ^ set(over_tcp))}")
    stable = ("pid", "version", "curr_items", "total_items", "bytes", "limit_maxbytes", "cmd_get",
              "cmd_set", "get_hits", "get_misses", "threads", "max_connections")
    for name in stable:
        check(fields.get(name) == over_tcp.get(name),
              f"stats {name}: unbucklectl {fields.get(name)}, TCP {over_tcp.get(name)}")
    check(all(line.startswith("STAT ") for line in text.splitlines()),
          f"stats prints only STAT lines:\n{text[:300]}")

    parsed = json.loads(ctl.ok(path, "stats", "--json"))
    over_tcp = mc.stats(server.port)
    check(list(parsed) == list(over_tcp), "stats --json keys differ from TCP's stats")
    for name in stable:
        want = int(over_tcp[name]) if over_tcp[name].isdigit() else over_tcp[name]
        check(parsed.get(name) == want, f"stats --json {name}: {parsed.get(name)!r}, TCP {want!r}")
    check(isinstance(parsed.get("rusage_user"), str), "rusage_user (not an integer) is a string")


def case_log_level(ctl, server):
    path = control_path(server)
    ctl.ok(path, "status")
    check("debug:" not in server.log_text(), "debug lines at the default level info")
    out = ctl.ok(path, "log-level", "debug")
    check(out == "log level debug, was info\n", f"log-level debug printed {out!r}")
    ctl.ok(path, "status")
    log = server.log_text()
    check("debug: control: uid" in log and ": status" in log.split("log level debug")[-1],
          f"no debug line for a request after log-level debug:\n{log[-600:]}")
    code, _, err = ctl.run(path, "log-level", "loud")
    check(code == USAGE and err.startswith("unbucklectl: no log level 'loud'"),
          f"log-level loud: exit {code}, {err!r}")
    reply = raw_request(path, b"log-level loud\n")
    check(reply.startswith("ERROR no log level 'loud' (trace, debug"), f"daemon on log-level loud: {reply!r}")
    ctl.ok(path, "log-level", "warn")
    before = server.log_text().count("debug:")
    ctl.ok(path, "status")
    check(server.log_text().count("debug:") == before, "debug lines still logged at warn")
    out = ctl.ok(path, "log-level", "info")
    check(out == "log level info, was warn\n", f"log-level info printed {out!r}")


def case_attach_detach(ctl, server):
    path = control_path(server)
    code, out, err = ctl.run(path, "attach", "lo", "--queues", "1", "--xdp-mode", "skb")
    check(code == REFUSED and err == "unbucklectl: this daemon runs the socket backend: attaching needs the "
          "xdp backend (start it with --backend xdp or --interface)\n" and out == "", f"attach: exit {code}, {err!r}")
    code, _, err = ctl.run(path, "detach", "lo")
    check(code == REFUSED and "runs the socket backend" in err, f"detach: exit {code}, {err!r}")


def case_bad_commands(ctl, server):
    path = control_path(server)
    for args, text in ((["frobnicate"], "unknown command 'frobnicate' (attach, detach, status, stats, "
                        "log-level, allow)"), ([], "a command is required"),
                       (["attach"], "IFACE"), (["attach", "eth0", "--queues", "0"], "--queues"),
                       (["attach", "eth0", "--xdp-mode", "generic"], "--xdp-mode"),
                       (["attach", "eth0", "--zerocopy", "yes"], "--zerocopy"),
                       (["stats", "--xml"], "--xml"), (["detach", "a/b"], "not an interface name")):
        code, out, err = ctl.run(path, *args)
        check(code == USAGE and text in err and err.count("\n") == 1 and err.startswith("unbucklectl: ")
              and out == "", f"unbucklectl {' '.join(args)}: exit {code}, {err!r}")
    code, out, _ = ctl.run(path, "--help")
    check(code == OK and all(w in out for w in ("attach", "detach", "status", "stats", "log-level",
                                                "Exit status", "--control-group")),
          f"--help: exit {code}\n{out}")
    code, out, _ = ctl.run(path, "attach", "--help")
    check(code == OK and "--queues" in out and "--zerocopy" in out, f"attach --help: exit {code}\n{out}")
    reply = raw_request(path, b"shutdown now\n")
    check(reply == "ERROR unknown command 'shutdown' (attach, detach, status, stats, log-level, allow)\n",
          f"unknown command over the socket: {reply!r}")


def case_hostile_clients(ctl, server):
    path = control_path(server)
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(path)
    start = time.monotonic()
    status = ctl.ok(path, "status")
    check("items:" in status and time.monotonic() - start < 2,
          "status while another client holds a connection without a request")
    reply = raw_request(path, b"x" * 5000)
    check(reply == "ERROR request longer than 1024 bytes\n", f"an overlong line: {reply!r}")
    silent.settimeout(8)
    check(silent.recv(10) == b"", "a silent client is closed after its idle timeout")
    silent.close()


def case_second_daemon(ctl, daemon, server):
    path = control_path(server)
    code, log = start_daemon_expecting_exit(daemon, path)
    check(code == 2 and f"another unbuckle-xdp is running: it listens on {path}" in log,
          f"a second daemon on the same socket: exit {code}\n{log}")
    check("items:" in ctl.ok(path, "status"), "the first daemon still answers after the second left")


def start_daemon_expecting_exit(daemon, socket_path, *extra):
    """Exit code and log of a daemon that must refuse to start."""
    port = mc.free_port()
    proc = subprocess.run([daemon, "--backend", "socket", "--listen", mc.HOST, "--port", str(port),
                           "--control-socket", socket_path, *extra],
                          capture_output=True, text=True, timeout=10)
    return proc.returncode, proc.stdout + proc.stderr


def case_not_running_and_stale(ctl, daemon, directory):
    path = os.path.join(directory, "stale.sock")
    code, _, err = ctl.run(path, "status")
    check(code == UNREACHABLE and err == f"unbucklectl: cannot reach unbuckle-xdp at {path}: no such file "
          "(is the daemon running? systemctl start unbuckle-xdp)\n", f"no daemon: exit {code}, {err!r}")
    # What a daemon killed with SIGKILL leaves: a socket file nobody listens on.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(path)
    code, _, err = ctl.run(path, "status")
    check(code == UNREACHABLE and "nobody listens there" in err and "systemctl start unbuckle-xdp" in err,
          f"stale socket: exit {code}, {err!r}")
    server = start_daemon(daemon, path)
    try:
        check("left by a daemon that did not stop cleanly" in server.log_text(),
              f"the daemon does not say it removed the stale socket:\n{server.log_text()}")
        check("items:" in ctl.ok(path, "status"), "status after replacing a stale socket")
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=5)
        check(server.proc.returncode == 0 and not os.path.exists(path),
              f"clean stop: exit {server.proc.returncode}, socket left: {os.path.exists(path)}")
    finally:
        server.log.close()
        os.unlink(server.log.name)

    code, log = start_daemon_expecting_exit(daemon, path, "--control-group", "no-such-group-ubx")
    check(code == 1 and "no group named 'no-such-group-ubx'" in log and log.count("\n") == 1,
          f"--control-group of a group that does not exist: exit {code}, {log!r}")


def case_permissions(ctl, daemon, directory):
    """As user nobody (root only): the file system refuses a 0660 socket, the
    daemon refuses a peer that a 0666 socket lets through, and a member of
    --control-group is let in."""
    os.chmod(directory, 0o755)
    path = os.path.join(directory, "perm.sock")
    server = start_daemon(daemon, path)
    try:
        mode = os.stat(path).st_mode
        check(stat.S_IMODE(mode) == 0o660 and os.stat(path).st_gid == os.getegid(),
              f"socket mode {oct(stat.S_IMODE(mode))}, gid {os.stat(path).st_gid}")
        group = grp.getgrgid(os.getegid()).gr_name
        code, _, err = ctl.run(path, "status", as_nobody=True)
        check(code == UNREACHABLE and err == f"unbucklectl: permission denied on {path} (run as root or "
              f"as a member of group {group})\n", f"nobody on a 0660 socket: exit {code}, {err!r}")
        os.chmod(path, 0o666)
        code, _, err = ctl.run(path, "status", as_nobody=True)
        check(code == REFUSED and err.startswith(f"unbucklectl: permission denied on {path}: uid ")
              and f"member of group {group}" in err, f"nobody on a 0666 socket: exit {code}, {err!r}")
        check("control socket: refused pid" in server.log_text(),
              f"the refusal is not logged:\n{server.log_text()}")
    finally:
        server.stop()

    path = os.path.join(directory, "group.sock")
    server = start_daemon(daemon, path, "--control-group", "nogroup")
    try:
        check(os.stat(path).st_gid == grp.getgrnam("nogroup").gr_gid, "socket group is --control-group")
        code, out, err = ctl.run(path, "status", as_nobody=True)
        check(code == OK and "items:" in out, f"a member of --control-group: exit {code}, {err!r}")
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--daemon", required=True, help="path of unbuckle-xdp")
    parser.add_argument("--ctl", required=True, help="path of unbucklectl")
    args = parser.parse_args()
    ctl = Ctl(args.ctl)
    started = time.monotonic()

    directory = tempfile.mkdtemp(prefix="unbuckle-ctl-")
    server = start_daemon(args.daemon, os.path.join(directory, "control.sock"))
    try:
        case_status_and_stats(ctl, server)
        case_log_level(ctl, server)
        case_attach_detach(ctl, server)
        case_bad_commands(ctl, server)
        case_second_daemon(ctl, args.daemon, server)
        case_hostile_clients(ctl, server)
    finally:
        server.stop()   # removes `directory`

    directory = tempfile.mkdtemp(prefix="unbuckle-ctl-")
    try:
        case_not_running_and_stale(ctl, args.daemon, directory)
        if os.geteuid() == 0:
            case_permissions(ctl, args.daemon, directory)
        else:
            print("permission cases skipped: they run unbucklectl as user nobody (root only)")
    finally:
        shutil.rmtree(directory, ignore_errors=True)

    print(f"{len(failures)} failures in {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
