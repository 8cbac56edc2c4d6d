#!/usr/bin/python3
"""unbucklecat (tools/unbucklecat/) against a pool of Debian's memcached
(-U) and unbuckle-xdp's socket backend on 127.0.0.1: set (a value, a file,
standard input, --flags, --expire), get over UDP and --tcp, delete, stats,
version, flush (now and with --expire),
MEMCACHED_SERVERS, --udp-keys-per-request (each server's cmd_get, bytes_read
and udp_datagrams_in grow by what that many requests cost, udp_requests.py),
and each exit code: 0 done, 1 a key not found, 2 a bad command line or
server list or a server that does not answer, every error one line on
stderr.
"""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402
import udp_requests  # noqa: E402


class Cat:
    def __init__(self, path, servers):
        self.path = path
        self.servers = servers

    def run(self, *args, servers=True, stdin=b"", env=None, code=0, stderr=None):
        """Runs unbucklecat and checks its exit code and, when given, that
        stderr is exactly one line containing `stderr`; returns stdout."""
        argv = [self.path] + ([f"--servers={self.servers}"] if servers else []) + list(args)
        environment = {k: v for k, v in os.environ.items() if k != "MEMCACHED_SERVERS"}
        environment.update(env or {})
        result = subprocess.run(argv, input=stdin, capture_output=True, timeout=30, env=environment)
        err = result.stderr.decode(errors="replace")
        what = f"unbucklecat {' '.join(args)}"
        if result.returncode != code:
            mc.fail(f"{what}: exit {result.returncode}, expected {code}; stderr: {err.strip()}")
        if stderr is not None and (stderr not in err or err.count("\n") != 1):
            mc.fail(f"{what}: stderr should be one line with '{stderr}': {err!r}")
        if stderr is None and code == 0 and err:
            mc.fail(f"{what}: unexpected stderr {err!r}")
        return result.stdout


def tcp_get_line(servers, key):
    """The VALUE line of `key` from whichever server holds it, over TCP."""
    for server in servers:
        client = mc.TcpClient(server.port)
        reply = client.request(f"get {key}\r\n".encode(), done=lambda buf: buf.endswith(b"END\r\n"))
        client.close()
        if reply.startswith(b"VALUE"):
            return reply.split(b"\r\n", 1)[0].decode()
    return None


def keys_per_request(path, server):
    """A get of 12 keys from `server` alone, sent as 1, 12 and 3 requests."""
    cat = Cat(path, f"{server.host}:{server.port}")
    keys = [f"per-request:{i}" for i in range(12)]
    for key in keys:
        cat.run("set", key, f"value of {key}")
    printed = "".join(f"value of {key}\n" for key in keys).encode()
    for per_request in (0, 1, 5):
        what = f"{server.name}: --udp-keys-per-request {per_request} get of {len(keys)} keys"
        out, grown = udp_requests.growth(server, lambda: cat.run("--udp-keys-per-request", str(per_request),
                                                                 "get", *keys))
        if out != printed:
            mc.fail(f"{what} printed {out!r}")
        udp_requests.check_growth(what, grown, udp_requests.expected_growth(server, keys, per_request))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--unbucklecat", required=True)
    args = parser.parse_args()
    with mc.Server.memcached() as memcached, mc.Server.daemon(args.daemon) as daemon:
        servers = [memcached, daemon]
        entries = ",".join(f"{mc.HOST}:{s.port}" for s in servers)
        cat = Cat(args.unbucklecat, entries)

        cat.run("set", "greeting", "hello", "--flags", "5", "--expire", "100")
        line = tcp_get_line(servers, "greeting")
        if line != "VALUE greeting 5 5":
            mc.fail(f"set --flags 5: the server holds {line!r}")
        if cat.run("get", "greeting") != b"hello\n" or cat.run("get", "--tcp", "greeting") != b"hello\n":
            mc.fail("get greeting should print 'hello' and a newline, over UDP and TCP")
        out = cat.run("get", "greeting", "absent", code=1, stderr="absent: not found")
        if out != b"hello\n":
            mc.fail(f"get greeting absent printed {out!r}")
        if cat.run("get", "greeting", servers=False, env={"MEMCACHED_SERVERS": entries}) != b"hello\n":
            mc.fail("get with MEMCACHED_SERVERS instead of --servers")

        # 200 KB of every byte value (NUL, CR, LF...), through a file and stdin.
        blob = bytes(range(256)) * 800
        with tempfile.NamedTemporaryFile() as f:
            f.write(blob)
            f.flush()
            cat.run("set", "blob", "--file", f.name)
        cat.run("set", "piped", "--file", "-", stdin=blob[:5000])
        if cat.run("get", "blob", "piped") != blob + b"\n" + blob[:5000] + b"\n":
            mc.fail("get of the values set from a file and from stdin differ from them")

        for server in servers:
            keys_per_request(args.unbucklecat, server)
        if b"--udp-keys-per-request N=0" not in cat.run("--help", servers=False):
            mc.fail("--help should list --udp-keys-per-request and its default 0")
        cat.run("--udp-keys-per-request", "-1", "get", "k", code=2, stderr="--udp-keys-per-request = -1")

        cat.run("delete", "greeting")
        cat.run("delete", "greeting", code=1, stderr="greeting: not found")

        stats = cat.run("stats").decode()
        for server in servers:
            if f"Server: {mc.HOST}:{server.port}\n" not in stats or f"\tpid: {server.pid}\n" not in stats:
                mc.fail(f"stats lacks the Server: and pid: lines of {server.name}: {stats[:300]!r}")
        closed = mc.free_port()
        stats = cat.run("stats", servers=False, env={"MEMCACHED_SERVERS": f"{entries},{mc.HOST}:{closed}"}, code=2,
                        stderr=f"TCP connection to {mc.HOST}:{closed} failed").decode()
        if f"\tpid: {daemon.pid}\n" not in stats:
            mc.fail("stats with a dead third server should still print the others")

        versions = cat.run("version").decode()
        wanted = "".join(f"{mc.HOST}:{server.port} 1.6.18\n" for server in servers)
        if versions != wanted:
            mc.fail(f"version printed {versions!r}, expected {wanted!r}")
        cat.run("set", "doomed", "x")
        cat.run("flush", "--expire", "100")
        if cat.run("get", "doomed") != b"x\n":
            mc.fail("flush --expire 100 flushed at once")
        cat.run("flush")
        cat.run("get", "doomed", code=1, stderr="doomed: not found")
        cat.run("flush", servers=False, env={"MEMCACHED_SERVERS": f"{entries},{mc.HOST}:{closed}"}, code=2,
                stderr=f"TCP connection to {mc.HOST}:{closed} failed")

        # Errors: exit 2, one line each.
        cat.run("get", "k", servers=False, code=2, stderr="no servers: give --servers")
        Cat(args.unbucklecat, f"{mc.HOST}:x").run("get", "k", code=2, stderr="--servers: server \"127.0.0.1:x\"")
        Cat(args.unbucklecat, f"{mc.HOST}:{closed}").run("--udp-timeout", "0.05", "get", "k", code=2,
                                                         stderr="no whole reply within 50 ms")
        Cat(args.unbucklecat, f"{mc.HOST}:{closed}").run("set", "k", "v", code=2,
                                                         stderr=f"TCP connection to {mc.HOST}:{closed} failed")
        cat.run("--distribution", "modula", "get", "k", code=2, stderr="no ketama distribution \"modula\"")
        cat.run(code=2, stderr="a command is required: get, set, delete, stats, version, flush (unbucklecat --help)")
        cat.run("get", code=2, stderr="KEY is required (unbucklecat --help)")
        cat.run("fetch", "k", code=2, stderr="unknown command 'fetch' (get, set, delete, stats, version, flush)")
        cat.run("set", "k", code=2, stderr="set needs a VALUE or --file")
        cat.run("set", "k", "v", "--file", "/dev/null", code=2, stderr="excludes")
        cat.run("get", "bad key", code=2, stderr="is empty, over 250 bytes")
        if b"Exit status: 0 done; 1 a key not found" not in cat.run("--help", servers=False):
            mc.fail("--help should explain the exit codes")
        for server in servers:
            if not server.alive():
                mc.fail(f"{server.name} died during the run")
    print("PASS")


if __name__ == "__main__":
    main()
