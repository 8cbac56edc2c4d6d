"""A real systemd in a container, for the service tests (recipe and pitfalls:
the project's systemd-test notes). This host's PID 1 is not systemd and it has
no machined, so:

  tree      a minimal Debian bookworm debootstrapped once into a cache
            directory named after its package list, reused between runs;
            each boot runs on an ephemeral copy (-x), the cache stays clean
  boot      systemd-nspawn -b in its own cgroup, in a network namespace the
            test made, with a private bpffs bound at /sys/fs/bpf, CAP_BPF and
            bpf(2) allowed
  -M NAME   systemctl/systemd-run -M NAME need /run/systemd/machines/NAME
            (LEADER = host PID of the container's PID 1), written here

Everything made is removed by close(), also when the test fails.
"""

import ctypes
import fcntl
import glob
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time

CACHE = "/var/cache/unbuckle-xdp-tests"
SUITE = "bookworm"
BASE_PACKAGES = ["systemd", "dbus", "iproute2"]
PR_SET_PDEATHSIG = 1


class Unavailable(Exception):
    """nspawn cannot run here (the test is skipped with this reason)."""


def run(*argv, timeout=60, check=True):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: status {proc.returncode}: "
                           f"{(proc.stderr or proc.stdout).strip()}")
    return proc


def _mirror():
    """The Debian mirror of this machine's own apt sources."""
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*")):
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        match = re.search(r"(https?://\S+/debian)/?\s", text)
        if match:
            return match.group(1)
    return "http://deb.debian.org/debian"


def _provides(admindir=None):
    """Package and virtual package names present in a dpkg database."""
    argv = ["dpkg-query", "-W", "-f=${Package} ${Provides}\n"]
    if admindir:
        argv.insert(1, f"--admindir={admindir}")
    names = {}
    for line in run(*argv).stdout.splitlines():
        words = re.findall(r"[a-z0-9][a-z0-9.+-]+", re.sub(r"\([^)]*\)", "", line))
        for word in words:
            names.setdefault(word, words[0])
    return names


def real_packages(depends):
    """The packages to install for a Depends field: the first alternative of
    each, a virtual one replaced by the package of this host that provides it."""
    host = _provides()
    packages = set()
    for alternatives in depends.split(","):
        name = re.sub(r"\(.*\)|:\S+", "", alternatives.split("|")[0]).strip()
        packages.add(host.get(name, name))
    return sorted(packages)


def cached_tree(packages):
    """The debootstrapped tree with `packages` besides systemd, made once."""
    include = sorted(set(BASE_PACKAGES + packages))
    tag = hashlib.sha256(",".join(include).encode()).hexdigest()[:12]
    tree = os.path.join(CACHE, f"nspawn-{SUITE}-{tag}")
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one debootstrap at a time
        if os.path.isdir(tree):
            return tree
        if not shutil.which("debootstrap"):
            raise Unavailable("debootstrap is missing (tools/install-deps.sh installs it)")
        partial = tree + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        started = time.monotonic()
        print(f"debootstrap {SUITE} into {tree} (once; about a minute)", flush=True)
        run("debootstrap", "--variant=minbase", "--include=" + ",".join(include), SUITE, partial,
            _mirror(), timeout=900)
        os.rename(partial, tree)
        print(f"debootstrap took {time.monotonic() - started:.0f} s", flush=True)
    return tree


def missing_packages(tree, depends):
    """Alternatives of `depends` (a Depends field) that no package of the tree
    is or provides."""
    present = _provides(f"{tree}/var/lib/dpkg")
    missing = []
    for alternatives in depends.split(","):
        names = [re.sub(r"\(.*\)|:\S+", "", a).strip() for a in alternatives.split("|")]
        if not any(n in present for n in names):
            missing.append(alternatives.strip())
    return missing


def cgroup_dirs(name):
    """nspawn's own cgroup, in each hierarchy systemd uses: nspawn makes
    payload/ and supervisor/ in the cgroup it starts from."""
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):  # cgroup v2 only
        return [f"/sys/fs/cgroup/nspawn-{name}"]
    return [f"/sys/fs/cgroup/{h}/nspawn-{name}" for h in ("systemd", "unified")
            if os.path.isdir(f"/sys/fs/cgroup/{h}")]


def _remove_cgroup(path):
    for root, dirs, _ in os.walk(path, topdown=False):
        for d in dirs:
            try:
                os.rmdir(os.path.join(root, d))
            except OSError:
                pass
    try:
        os.rmdir(path)
    except OSError:
        pass


class Container:
    """A booted ephemeral copy of `tree`, network namespace `netns` (a name
    under /run/netns), `bpffs` at its /sys/fs/bpf, `share` read-only at
    /srv/unbuckle-test."""

    SHARE = "/srv/unbuckle-test"

    def __init__(self, tree, name, netns, bpffs, share, log_path):
        self.name = name
        self.proc = None
        self._log = open(log_path, "w")
        self._machine_file = f"/run/systemd/machines/{name}"
        self._cgroups = cgroup_dirs(name)
        try:
            self._boot(tree, netns, bpffs, share)
        except BaseException:
            self.close()
            raise

    def _boot(self, tree, netns, bpffs, share):
        for cgroup in self._cgroups:
            os.makedirs(cgroup, exist_ok=True)

        def enter_cgroups():
            # A killed test powers the container off (nspawn takes SIGTERM so).
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
            for cgroup in self._cgroups:
                with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))

        # Capabilities nspawn leaves out by default: CAP_BPF and CAP_PERFMON,
        # CAP_NET_ADMIN (not given with --network-namespace-path), CAP_IPC_LOCK.
        argv = ["systemd-nspawn", "-q", "-D", tree, "-x", "-M", self.name, "-b",
                "--register=no", "--keep-unit",
                "--capability=CAP_NET_ADMIN,CAP_BPF,CAP_PERFMON,CAP_IPC_LOCK",
                "--system-call-filter=bpf perf_event_open",
                f"--bind={bpffs}:/sys/fs/bpf", f"--bind-ro={share}:{self.SHARE}",
                f"--network-namespace-path=/run/netns/{netns}", "--console=read-only"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, preexec_fn=enter_cgroups)
        deadline = time.monotonic() + 30
        leader = None
        while leader is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"systemd-nspawn did not boot:\n{self.console()}")
            leader = self._leader()
            time.sleep(0.05)
        os.makedirs(os.path.dirname(self._machine_file), exist_ok=True)
        with open(self._machine_file, "w") as f:
            f.write(f"LEADER={leader}\nCLASS=container\n")
        state = ""
        while state not in ("running", "degraded"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the container's systemd is {state!r} after 30 s:\n"
                                   f"{self.console()}")
            time.sleep(0.1)
            state = self.systemctl("is-system-running", check=False).stdout.strip()

    def _leader(self):
        """The child of nspawn that is PID 1 in its own PID namespace."""
        for status in glob.glob("/proc/[0-9]*/status"):
            try:
                with open(status) as f:
                    text = f.read()
            except OSError:
                continue
            ppid = re.search(r"^PPid:\s+(\d+)", text, re.MULTILINE)
            nspid = re.search(r"^NSpid:\s+(.*)$", text, re.MULTILINE)
            if (ppid and int(ppid.group(1)) == self.proc.pid and nspid
                    and nspid.group(1).split()[-1] == "1" and len(nspid.group(1).split()) > 1):
                return int(status.split("/")[2])
        return None

    def systemctl(self, *args, check=True):
        return run("systemctl", "-M", self.name, *args, check=check)

    def run(self, *argv, check=True, timeout=60):
        """argv inside the container as a transient unit; its exit status is ours."""
        return run("systemd-run", "-M", self.name, "--wait", "-P", "-q", *argv, check=check,
                   timeout=timeout)

    def journal(self, unit, *args):
        return self.run("journalctl", "-u", unit, "--no-pager", *args, check=False).stdout

    def console(self):
        self._log.flush()
        with open(self._log.name) as f:
            return f.read()[-3000:]

    def close(self):
        if self.proc and self.proc.poll() is None:
            run("systemctl", "-M", self.name, "poweroff", check=False, timeout=20)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            os.unlink(self._machine_file)
        except OSError:
            pass
        for cgroup in self._cgroups:
            _remove_cgroup(cgroup)
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
