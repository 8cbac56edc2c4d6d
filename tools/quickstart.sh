#!/usr/bin/env bash
# From a fresh Debian 12 machine to a running server, as root: installs the
# packages, builds (Release, in build/) and runs the daemon in the
# foreground on the embedded default: XDP + AF_XDP on lo for memcached UDP,
# kernel TCP, both on 127.0.0.1:11211. Stop it with Ctrl-C (it detaches).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)" --target unbuckle-xdp
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf   # for the pinned maps

cat <<'HOWTO'

unbuckle-xdp is starting on lo, port 11211 (UDP through AF_XDP, TCP through
the kernel). From another shell
(nc comes with: apt-get install netcat-openbsd):

  TCP  printf 'set a 0 0 1\r\nx\r\n' | nc -q1 127.0.0.1 11211
       printf 'get a\r\n' | nc -q1 127.0.0.1 11211
  UDP  (8-byte frame header: request id 1, sequence 0, total 1, reserved 0)
       printf '\x00\x01\x00\x00\x00\x01\x00\x00get a\r\n' | nc -u -w1 127.0.0.1 11211 | tail -c +9
  stats, memcached style:  printf 'stats\r\n' | nc -q1 127.0.0.1 11211

HOWTO
exec build/bin/unbuckle-xdp --interface lo --listen 127.0.0.1 --port 11211
