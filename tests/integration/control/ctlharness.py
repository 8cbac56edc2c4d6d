"""Running unbucklectl from the control tests: its exit code and output, as
root or as user nobody, and the daemon's `stats` over TCP to compare with."""

import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402

# unbucklectl's exit codes (its --help).
OK, USAGE, REFUSED, UNREACHABLE = 0, 1, 2, 3
SKIP = 77


class Ctl:
    def __init__(self, path):
        self.path = path

    def run(self, socket_path, *args, as_nobody=False):
        """(exit code, stdout, stderr) of `unbucklectl --control-socket socket_path args`."""
        argv = [self.path, "--control-socket", socket_path, *args]
        if as_nobody:
            argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=40)
        return proc.returncode, proc.stdout, proc.stderr

    def ok(self, socket_path, *args):
        """stdout of a command that must succeed."""
        code, out, err = self.run(socket_path, *args)
        if code != OK:
            mc.fail(f"unbucklectl {' '.join(args)}: exit {code}, {err.strip()}")
        return out


def raw_request(socket_path, data, deadline=3.0):
    """What the control socket answers to `data` (bytes) until it closes or
    `deadline` seconds pass."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(deadline)
        s.connect(socket_path)
        s.sendall(data)
        received = b""
        try:
            while not (received.endswith(b"END\n") or received.startswith(b"ERROR")
                       and received.endswith(b"\n")):
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            pass
        return received.decode()


def stat_lines(text):
    """{name: value} of "STAT name value" lines."""
    fields = {}
    for line in text.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] == "STAT":
            fields[parts[1]] = parts[2]
    return fields


def status_fields(text):
    """{name: value} of the "name: value" lines of `unbucklectl status`."""
    fields = {}
    for line in text.splitlines():
        name, _, value = line.partition(": ")
        fields[name] = value
    return fields
