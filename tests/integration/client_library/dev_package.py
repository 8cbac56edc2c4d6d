#!/usr/bin/python3
"""The Debian packages cpack builds, and the README's C++ examples built
against the -dev package alone:

  contents  unbuckle-xdp holds the programs, the unit, the config, the man
            pages and the Python module, and no header or archive;
            unbuckle-xdp-dev holds exactly the client library's three
            headers, its two archives and its copyright
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
    "./usr/share/man/man8/unbuckle-xdp.8.gz",
}


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
        match = re.fullmatch(r"(unbuckle-xdp(?:-dev)?)_[^_]+_[^_]+\.deb", name)
        if match:
            debs[match.group(1)] = os.path.join(out_dir, name)
    if set(debs) != {"unbuckle-xdp", "unbuckle-xdp-dev"}:
        mc.fail(f"cpack should make unbuckle-xdp and unbuckle-xdp-dev, made {sorted(os.listdir(out_dir))}")
    return debs


def check_contents(debs):
    server = files_of(debs["unbuckle-xdp"])
    dev = files_of(debs["unbuckle-xdp-dev"])
    if dev != DEV_FILES:
        mc.fail(f"unbuckle-xdp-dev holds {sorted(dev)}, expected {sorted(DEV_FILES)}")
    if not SERVER_FILES <= server:
        mc.fail(f"unbuckle-xdp lacks {sorted(SERVER_FILES - server)}")
    if not any(f.startswith("./usr/lib/python3/dist-packages/unbuckle_client.") for f in server):
        mc.fail("unbuckle-xdp lacks the Python module unbuckle_client")
    leaked = sorted(f for f in server if f.startswith("./usr/include/") or f.endswith(".a"))
    if leaked:
        mc.fail(f"unbuckle-xdp holds the -dev package's files: {leaked}")
    print(f"ok: unbuckle-xdp-dev holds its {len(dev)} files, unbuckle-xdp none of them", flush=True)


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
    if not shutil.which("g++"):
        mc.fail("g++ is missing (build-essential; tools/install-deps.sh installs it)")

    work = tempfile.mkdtemp(prefix="unbuckle-dev-package-")
    try:
        debs = build_packages(args.cpack, args.build_dir, os.path.join(work, "debs"))
        check_contents(debs)
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
    print("dev_package: all passed")


if __name__ == "__main__":
    main()
