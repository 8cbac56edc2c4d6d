#!/usr/bin/python3
"""The Debian packages cpack builds, checked as Debian checks packages, and
the README's C++ examples built against the -dev package alone:

  contents  unbuckle-xdp holds the programs, the unit, the config and the
            man pages, and no header, archive or Python module;
            unbuckle-xdp-dev holds exactly the client library's three
            headers, its two archives and its copyright;
            python3-unbuckle-client exactly the module and its copyright
  lintian   no error or warning but the two the project has no answer for
            yet (ALLOWED_LINTIAN_TAGS)
  python    python3-unbuckle-client depends on the Python whose ABI its
            module's file name carries, this python3 satisfies that, and
            imports the unpacked module
  build     the first two ```cpp blocks of the README's "### C++" section,
            compiled with the README's own g++ line plus -I/-L into the
            unpacked -dev package (no build tree, no source tree)
  run       the pool example against Debian's memcached (-U) and against
            unbuckle-xdp's socket backend, on 127.0.0.1: it prints
            "user:1 = alice" and nothing for the missing user:2; the sink
            example then counts alice's 5 bytes over UDP
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import mcharness as mc  # noqa: E402

DEV_FILES = {
    "./usr/include/unbuckle/client.h",
    "./usr/include/unbuckle/client_pool.h",
    "./usr/include/unbuckle/client_servers.h",
    "./usr/lib/libunbuckle_client.a",
    "./usr/lib/libunbuckle_client_ketama.a",
    "./usr/share/doc/unbuckle-xdp-dev/copyright",
}
SERVER_FILES = {
    "./usr/bin/unbuckle-xdp",
    "./usr/bin/unbucklectl",
    "./usr/bin/unbucklecat",
    "./usr/lib/systemd/system/unbuckle-xdp.service",
    "./etc/unbuckle-xdp/unbuckle-xdp.conf",
    "./usr/share/doc/unbuckle-xdp/copyright",
    "./usr/share/man/man1/unbucklecat.1.gz",
    "./usr/share/man/man8/unbuckle-xdp.8.gz",
    "./usr/share/man/man8/unbucklectl.8.gz",
}
PYTHON_DIR = "./usr/lib/python3/dist-packages/"
PACKAGES = ("unbuckle-xdp", "unbuckle-xdp-dev", "python3-unbuckle-client")
# The project has no mail address for Maintainer and no release history for
# a changelog; every other lintian error or warning fails the test.
ALLOWED_LINTIAN_TAGS = {"bogus-mail-host", "root-in-contact", "no-changelog"}


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, **kwargs)
    if result.returncode != 0:
        mc.fail(f"{' '.join(argv)}: exit {result.returncode}\n{result.stdout}{result.stderr}")
    return result.stdout


def files_of(deb):
    return {line.split()[-1] for line in run(["dpkg-deb", "-c", deb]).splitlines()
            if not line.endswith("/")}


def build_packages(cpack, build_dir, out_dir):
    run([cpack, "-G", "DEB", "-B", out_dir, "--config", os.path.join(build_dir, "CPackConfig.cmake")])
    debs = {}
    for name in os.listdir(out_dir):
        match = re.fullmatch(r"([a-z0-9.+-]+)_[^_]+_[^_]+\.deb", name)
        if match:
            debs[match.group(1)] = os.path.join(out_dir, name)
    if set(debs) != set(PACKAGES):
        mc.fail(f"cpack should make {', '.join(PACKAGES)}, made {sorted(os.listdir(out_dir))}")
    return debs


def check_contents(debs):
    server = files_of(debs["unbuckle-xdp"])
    dev = files_of(debs["unbuckle-xdp-dev"])
    python = files_of(debs["python3-unbuckle-client"])
    if server != SERVER_FILES:
        mc.fail(f"unbuckle-xdp holds {sorted(server)}, expected {sorted(SERVER_FILES)}")
    if dev != DEV_FILES:
        mc.fail(f"unbuckle-xdp-dev holds {sorted(dev)}, expected {sorted(DEV_FILES)}")
    modules = [f for f in python if f.startswith(PYTHON_DIR + "unbuckle_client.")]
    if len(modules) != 1 or python != {modules[0], "./usr/share/doc/python3-unbuckle-client/copyright"}:
        mc.fail(f"python3-unbuckle-client holds {sorted(python)}: expected the module "
                f"{PYTHON_DIR}unbuckle_client.*.so and its copyright")
    print(f"ok: the packages hold {len(server)}, {len(dev)} and {len(python)} files, each its own", flush=True)
    return modules[0]


def check_lintian(debs):
    result = subprocess.run(["lintian", "--no-tag-display-limit", *debs.values()],
                            capture_output=True, text=True, timeout=120)
    tags = [line for line in result.stdout.splitlines() if re.match(r"[EW]: ", line)]
    unexpected = [line for line in tags if line.split()[2] not in ALLOWED_LINTIAN_TAGS]
    if unexpected or result.returncode not in (0, 2):
        mc.fail("lintian: " + ("\n".join(unexpected) or f"exit {result.returncode}: {result.stderr}"))
    print(f"ok: lintian finds nothing but {sorted({line.split()[2] for line in tags})}", flush=True)


def check_python_package(deb, module, work):
    """The module's ABI tag (cpython-311) and the package's python3 range
    name the same Python; this python3 is it and imports the module."""
    abi = re.search(r"\.cpython-(\d)(\d+)-", module)
    if not abi:
        mc.fail(f"{module}: no cpython-XY tag in the module's name")
    version = f"{abi.group(1)}.{abi.group(2)}"
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).strip()
    wanted = f"python3 (>= {version}~), python3 (<< {abi.group(1)}.{int(abi.group(2)) + 1})"
    if not depends.startswith(wanted):
        mc.fail(f"python3-unbuckle-client depends on '{depends}', expected it to start with '{wanted}'")
    python = run(["/usr/bin/python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).strip()
    if python != version:
        mc.fail(f"/usr/bin/python3 is {python}, the module was built for {version}")
    root = os.path.join(work, "python-root")
    run(["dpkg-deb", "-x", deb, root])
    run(["/usr/bin/python3", "-c", "import unbuckle_client; unbuckle_client.Client"],
        env={**os.environ, "PYTHONPATH": os.path.join(root, PYTHON_DIR)})
    print(f"ok: python3-unbuckle-client depends on '{wanted}' and its module imports", flush=True)


def readme_examples():
    """The first two ```cpp blocks and the g++ line of the README's C++ section."""
    blocks = mc.readme_code_blocks("C++", "cpp")
    compile_lines = [line for block in mc.readme_code_blocks("C++", "sh")
                     for line in block.splitlines() if line.startswith("g++ ")]
    if len(blocks) < 2 or len(compile_lines) != 1:
        mc.fail(f"README's C++ section: expected two cpp blocks and one g++ line, found "
                f"{len(blocks)} and {len(compile_lines)}")
    return blocks[0], blocks[1], shlex.split(compile_lines[0])


def pool_program(block):
    """The pool example as a program whose server list is its first argument."""
    if block.count('parseServerList("') != 1:
        mc.fail("README's pool example no longer calls parseServerList(\"...\") once")
    block = re.sub(r'parseServerList\("[^"]*"\)', "parseServerList(argv[1])", block)
    top = [line for line in block.splitlines() if line.startswith(("#include", "using "))]
    body = [line for line in block.splitlines() if line not in top]
    return "\n".join(["#include <cstdio>", *top, "int main(int, char** argv) {", *body, "}", ""])


def sink_program(block):
    """The sink example on a ServerClient for argv[1]:argv[2], asking user:1 and user:2."""
    return "\n".join([
        "#include <cstdio>", "#include <cstdlib>", "#include <string>", "#include <vector>",
        "#include <unbuckle/client.h>", "using namespace unbuckle::client;",
        "int main(int, char** argv) {",
        "  ServerClient client(argv[1], static_cast<uint16_t>(std::atoi(argv[2])));",
        '  std::vector<std::string> keys = {"user:1", "user:2"};',
        block,
        '  std::printf("%zu\\n", bytes);',
        "}", ""])


def compile_program(source, compile_line, root, work, name):
    """Builds `source` as app.cpp with the README's g++ line, headers and
    archives taken from the unpacked package under `root` only."""
    directory = os.path.join(work, name)
    os.mkdir(directory)
    with open(os.path.join(directory, "app.cpp"), "w") as f:
        f.write(source)
    argv = compile_line + [f"-I{root}/usr/include", f"-L{root}/usr/lib", "-o", "app"]
    run(argv, cwd=directory)
    print(f"ok: {name}: {' '.join(compile_line)} builds against unbuckle-xdp-dev", flush=True)
    return os.path.join(directory, "app")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--cpack", required=True)
    args = parser.parse_args()
    for program, package in (("g++", "build-essential"), ("lintian", "lintian")):
        if not shutil.which(program):
            mc.fail(f"{program} is missing ({package}; tools/install-deps.sh installs it)")

    work = tempfile.mkdtemp(prefix="unbuckle-debian-packages-")
    try:
        debs = build_packages(args.cpack, args.build_dir, os.path.join(work, "debs"))
        module = check_contents(debs)
        check_lintian(debs)
        check_python_package(debs["python3-unbuckle-client"], module, work)
        root = os.path.join(work, "root")
        run(["dpkg-deb", "-x", debs["unbuckle-xdp-dev"], root])
        pool_block, sink_block, compile_line = readme_examples()
        pool_app = compile_program(pool_program(pool_block), compile_line, root, work, "pool")
        sink_app = compile_program(sink_program(sink_block), compile_line, root, work, "sink")
        for server in (mc.Server.memcached(), mc.Server.daemon(args.daemon)):
            with server:
                address = f"{server.host}:{server.port}"
                printed = run([pool_app, address])
                if printed != "user:1 = alice\n":
                    mc.fail(f"pool example against {server.name}: printed {printed!r}")
                printed = run([sink_app, server.host, str(server.port)])
                if printed != "5\n":
                    mc.fail(f"sink example against {server.name}: printed {printed!r}, expected 5")
                print(f"ok: both examples against {server.name} ({address})", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("debian_packages: all passed")


if __name__ == "__main__":
    main()
