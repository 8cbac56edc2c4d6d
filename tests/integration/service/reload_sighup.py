#!/usr/bin/python3
"""SIGHUP re-reads the config file, as `systemctl reload` asks: the daemon
started with a config file on a loopback port; the file's log-level changes
to debug and its memory-limit and allow list change too; after SIGHUP the log
says the level and the allow list were applied, names memory-limit as needing a restart, and
the daemon keeps serving with its items. A file that no longer parses
changes nothing. Then SIGTERM still stops it with status 0.
"""

import argparse
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402

failures = []


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        failures.append(message)


def wait_for_log(server, text, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in server.log_text(100000):
            return True
        time.sleep(0.05)
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--daemon", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="unbuckle-reload-") as work:
        config = os.path.join(work, "unbuckle-xdp.conf")
        port = mc.free_port()
        base = f"port = {port}\nlisten = 127.0.0.1\n"
        with open(config, "w") as f:
            f.write(base + "log-level = info\n")
        argv = [args.daemon, "--config", config, *mc._daemon_private_paths(args.daemon, work)]
        with mc.Server("unbuckle-xdp", argv, port) as server:
            client = mc.TcpClient(port)
            check(client.request(b"set kept 0 0 2\r\nhi\r\n", done=lambda r: r.endswith(b"\r\n"))
                  == b"STORED\r\n", "set before the reload")
            with open(config, "w") as f:
                f.write(base + 'log-level = debug\nmemory-limit = 32\nallow = ["10.0.0.0/8"]\n')
            os.kill(server.proc.pid, signal.SIGHUP)
            check(wait_for_log(server, "reload: done"), "the reload finished")
            log = server.log_text(100000)
            check("reload: log-level debug (was info)" in log, "log-level applied")
            check("reload: memory-limit changed but is read at start-up only" in log,
                  "memory-limit named as needing a restart")
            check("reload: allow list 10.0.0.0/8 (was " in log, "allow list applied")
            with open(config, "a") as f:
                f.write("this is not a setting\n")
            os.kill(server.proc.pid, signal.SIGHUP)
            check(wait_for_log(server, "nothing changed"), "an unparsable file changes nothing")
            reply = client.request(b"get kept\r\n", done=lambda r: r.endswith(b"END\r\n"))
            check(reply == b"VALUE kept 0 2\r\nhi\r\nEND\r\n",
                  f"item kept over the reloads: {reply!r}")
            client.close()
            server.proc.send_signal(signal.SIGTERM)
            check(server.proc.wait(timeout=10) == 0, "SIGTERM after the reloads: status 0")
    print(f"reload_sighup: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
