#!/usr/bin/env bash
# Installs what the project needs (Debian 12, as root), builds the normal and
# the sanitizer (ASan+UBSan) trees, and runs every test. The last lines are
# ctest's summary of the full run.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash tools/install-deps.sh
# BPF and namespace tests pin maps; ip netns exec remounts /sys, so they
# mount their own bpffs inside, but the host one must exist too.
if [ "$(id -u)" -eq 0 ] && ! mountpoint -q /sys/fs/bpf; then mount -t bpf bpf /sys/fs/bpf; fi

# A compiler cache shared by both trees and by earlier runs on this machine
# (keyed on paths relative to the checkout, so any clone reuses it).
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$PWD"
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

echo "== sanitizer build (ASan+UBSan): unit tests"
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUNBUCKLE_SANITIZE=ON "${launcher[@]}" >/dev/null
cmake --build build-sanitize -j "$jobs" --target unit_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-sanitize -L unit -j "$jobs" --output-on-failure

echo "== release build: every test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build -j 1 --output-on-failure --timeout 600
