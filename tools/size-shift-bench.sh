#!/usr/bin/env bash
# Items kept after the item size changes (issue 9, memcached's
# t/slabs-reassign2.t): memcached and unbuckle-xdp side by side, both on
# loopback (unbuckle-xdp with the socket backend), same memory limit, same
# requests, run at the same time.
#
#   flush:   5,000 sets of 11,000 B, flush_all, 20,000 sets of 4,096 B,
#            WAIT seconds, 20,000 more sets of 4,096 B
#   delete:  5,000 sets of 11,000 B, delete every other one, WAIT seconds,
#            5,000 sets of 7,000 B
#
# For each scenario and server it prints how many of the last batch are
# kept, slabs_moved, slab_global_page_pool, the pages of every class that
# has some, and the ratio of unbuckle-xdp's items kept to memcached's.
#
#   tools/size-shift-bench.sh [--memory-limit MB] [--wait S] [--scenarios LIST] [--build-dir DIR]
#
# --memory-limit MB   both servers' item memory (default 60)
# --wait S            seconds between the batches (default 40)
# --scenarios LIST    comma-separated: flush,delete (default both)
# --build-dir DIR     CMake build tree holding bin/unbuckle-xdp (default build/)
#
# Needs /usr/bin/memcached and python3. Stops only the servers it started.
set -euo pipefail
cd "$(dirname "$0")/.."

memory_limit=60
wait_seconds=40
scenarios=flush,delete
build_dir=build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --memory-limit) memory_limit="$2"; shift 2 ;;
    --wait) wait_seconds="$2"; shift 2 ;;
    --scenarios) scenarios="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "size-shift-bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
daemon="$build_dir/bin/unbuckle-xdp"
[[ -x "$daemon" ]] || { echo "size-shift-bench.sh: no $daemon: build first (tools/check.sh) or pass --build-dir" >&2; exit 2; }
command -v memcached >/dev/null || { echo "size-shift-bench.sh: memcached not found: apt-get install memcached" >&2; exit 2; }

exec python3 - "$daemon" "$memory_limit" "$wait_seconds" "$scenarios" <<'PYTHON'
import os, signal, socket, subprocess, sys, tempfile, threading, time

daemon, memory_limit, wait_seconds, scenarios = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def start(kind):
    port = free_port()
    if kind == "memcached":
        args = ["memcached", "-p", str(port), "-U", "0", "-l", "127.0.0.1", "-m", str(memory_limit)]
        if os.geteuid() == 0:
            args += ["-u", "nobody"]
    else:
        control = os.path.join(tempfile.mkdtemp(prefix="size-shift-"), "control.sock")
        args = [daemon, "--backend", "socket", "--listen", "127.0.0.1", "--port", str(port),
                "--tcp-port", str(port), "--memory-limit", str(memory_limit), "--threads", "2",
                "--control-socket", control]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            return proc, socket.create_connection(("127.0.0.1", port))
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"size-shift-bench.sh: {kind} did not listen on 127.0.0.1:{port}")

class Client:
    def __init__(self, sock):
        self.sock = sock
        self.reader = sock.makefile("rb")

    def sync(self):
        self.sock.sendall(b"version\r\n")
        while not self.reader.readline().startswith(b"VERSION"):
            pass

    def sets(self, prefix, count, length):
        value = b"B" * length
        for start in range(1, count + 1, 100):
            batch = b"".join(b"set %s%d 0 0 %d noreply\r\n%s\r\n" % (prefix, i, length, value)
                             for i in range(start, min(start + 100, count + 1)))
            self.sock.sendall(batch)
        self.sync()

    def deletes(self, prefix, keys):
        self.sock.sendall(b"".join(b"delete %s%d noreply\r\n" % (prefix, i) for i in keys))
        self.sync()

    def kept(self, prefix, count):
        found = 0
        for start in range(1, count + 1, 100):
            keys = b" ".join(b"%s%d" % (prefix, i) for i in range(start, min(start + 100, count + 1)))
            self.sock.sendall(b"get " + keys + b"\r\n")
            while True:
                line = self.reader.readline()
                if line.startswith(b"END"):
                    break
                if line.startswith(b"VALUE"):
                    found += 1
                    self.reader.read(int(line.split()[3]) + 2)
        return found

    def stats(self, sub=b""):
        self.sock.sendall(b"stats " + sub + b"\r\n" if sub else b"stats\r\n")
        out = {}
        while True:
            line = self.reader.readline().decode()
            if line.startswith("END"):
                return out
            _, name, value = line.split(" ", 2)
            out[name] = value.strip()

def scenario(name, client, result):
    if name == "flush":
        client.sets(b"a", 5000, 11000)
        client.sock.sendall(b"flush_all\r\n")
        client.reader.readline()
        client.sets(b"b", 20000, 4096)
        time.sleep(wait_seconds)
        client.sets(b"c", 20000, 4096)
        result["kept"], result["of"] = client.kept(b"c", 20000), 20000
    else:
        client.sets(b"a", 5000, 11000)
        client.deletes(b"a", range(2, 5001, 2))
        time.sleep(wait_seconds)
        client.sets(b"b", 5000, 7000)
        result["kept"], result["of"] = client.kept(b"b", 5000), 5000
    stats = client.stats()
    result["slabs_moved"] = stats.get("slabs_moved", "-")
    result["pool"] = stats.get("slab_global_page_pool", "-")
    slabs = client.stats(b"slabs")
    result["pages"] = {int(k.split(":")[0]): int(v) for k, v in slabs.items()
                       if k.endswith(":total_pages") and int(v) > 0}
    result["chunk"] = {int(k.split(":")[0]): int(v) for k, v in slabs.items() if k.endswith(":chunk_size")}

print(f"size shift, {memory_limit} MB each, {wait_seconds} s between batches")
for name in scenarios:
    servers = {kind: start(kind) for kind in ("memcached", "unbuckle-xdp")}
    results = {kind: {} for kind in servers}
    threads = [threading.Thread(target=scenario, args=(name, Client(sock), results[kind]))
               for kind, (_, sock) in servers.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for proc, sock in servers.values():
        sock.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait()
    print(f"\n{name}:")
    print(f"  {'server':<14}{'kept':>14}{'slabs_moved':>13}{'pool pages':>12}  pages per class (chunk size: pages)")
    for kind, r in results.items():
        pages = ", ".join(f"{r['chunk'].get(c, '?')}: {p}" for c, p in sorted(r["pages"].items()))
        print(f"  {kind:<14}{r['kept']:>7} of {r['of']:<5}{r['slabs_moved']:>12}{r['pool']:>12}  {pages}")
    mc, ours = results["memcached"]["kept"], results["unbuckle-xdp"]["kept"]
    print(f"  items kept, unbuckle-xdp / memcached: {ours / mc:.2f}" if mc else "  memcached kept none")
PYTHON
