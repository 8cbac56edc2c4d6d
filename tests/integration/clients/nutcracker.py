"""nutcracker (twemproxy) started by a test on loopback, for
tests/integration/clients: twemproxy.py and ketama_placement.py."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402


class Nutcracker:
    """One nutcracker process serving every pool, each on its own port, with
    ketama distribution. `pools`: {label: (hash, [server line, ...]) or
    (hash, [server line, ...], eject)}, a server line as twemproxy's
    "servers:" takes it ("host:port:weight [name]"); with eject true the pool
    ejects a server at its first failure for a minute. `ports[label]` is
    where the pool listens."""

    def __init__(self, pools):
        self.dir = tempfile.mkdtemp(prefix="unbuckle-nutcracker-")
        self.ports = {}
        lines = []
        for index, (label, (hash_name, servers, *eject)) in enumerate(pools.items()):
            self.ports[label] = mc.free_port()
            lines += [f"pool{index}:",
                      f"  listen: {mc.HOST}:{self.ports[label]}",
                      f"  hash: {hash_name}",
                      "  distribution: ketama",
                      "  timeout: 5000"]
            if eject and eject[0]:
                lines += ["  auto_eject_hosts: true",
                          "  server_failure_limit: 1",
                          "  server_retry_timeout: 60000"]
            else:
                lines += ["  auto_eject_hosts: false"]
            lines += ["  servers:"]
            lines += [f"   - {line}" for line in servers]
        conf = os.path.join(self.dir, "nutcracker.yml")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = os.path.join(self.dir, "nutcracker.log")
        argv = [shutil.which("nutcracker"), "-c", conf, "-o", self.log,
                "-a", mc.HOST, "-s", str(mc.free_port()),
                "-p", os.path.join(self.dir, "nutcracker.pid")]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, preexec_fn=mc._die_with_parent)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        pending = set(self.ports.values())
        while pending and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nutcracker exited with {self.proc.returncode}: "
                                   f"{self.log_text()}")
            for port in list(pending):
                try:
                    socket.create_connection((mc.HOST, port), timeout=0.5).close()
                    pending.discard(port)
                except OSError:
                    pass
            time.sleep(0.05)
        if pending:
            raise RuntimeError(f"nutcracker did not listen on {sorted(pending)} within "
                               f"{timeout}s: {self.log_text()}")

    def log_text(self, limit=3000):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-limit:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)
