#!/usr/bin/env bash
# Installs what the project needs (Debian 12, as root), builds the
# sanitizer (ASan+UBSan) and fuzz tree and the release tree, and runs every
# test: the unit tests and the fuzz targets in the first, the BPF and
# integration tests in the second. The last lines are ctest's summary.
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

# Where a slow run spent its time.
phase() { echo "== $* (at $((SECONDS / 60))m$((SECONDS % 60))s)"; }

# One clang tree for the unit tests under ASan+UBSan and for the libFuzzer
# targets: every library is built once, with the sanitizers and coverage
# hooks (which do nothing outside a fuzzer). Clang compiles these sanitized
# sources in half the time GCC takes.
phase "sanitizer build (clang, ASan+UBSan, libFuzzer coverage): unit tests and fuzz targets"
cmake -S . -B build-fuzz -DUNBUCKLE_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j "$jobs" --target unit_tests fuzz_targets
phase "unit tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-fuzz -L unit -j "$jobs" --output-on-failure

# Bounded fuzzing (tests/fuzz): each target from its seed corpus with a
# fixed seed, a 2 s timeout (the slowest input replays in about 10 ms; 1 s
# was hit twice by a starved nice-19 process on a loaded machine), a 2 GB RSS
# limit and inputs up to 4 KB; any crash, sanitizer report, stall or slow
# input fails the run. New inputs go to a scratch directory, not the tree;
# the findings stay in build-fuzz/findings/. Longer runs: tools/fuzz.sh.
phase "bounded fuzzing"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p build-fuzz/findings
for run in tcp_stream_fuzz:20 udp_datagram_fuzz:20 packet_headers_fuzz:10 client_reply_fuzz:10 udp_reader_fuzz:10 tcp_connection_fuzz:10 cidr_fuzz:5; do
  target=${run%%:*}
  mkdir -p "$scratch/$target"
  if ! "build-fuzz/bin/$target" -seed=1 -max_total_time="${run##*:}" -timeout=2 -rss_limit_mb=2048 \
      -max_len=4096 -print_final_stats=1 -artifact_prefix=build-fuzz/findings/ \
      "$scratch/$target" "tests/fuzz/corpus/$target" >"$scratch/$target.log" 2>&1; then
    tail -n 40 "$scratch/$target.log"
    echo "fuzz target $target found a bug: the input is in build-fuzz/findings/" >&2
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|new_units_added)' "$scratch/$target.log" | sed "s/^/$target /"
done

phase "release build"
# The unit tests ran above, sanitized; the release tree is for the rest.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DUNBUCKLE_UNIT_TESTS=OFF "${launcher[@]}" >/dev/null
cmake --build build -j "$jobs"
phase "BPF and integration tests, release build"
ctest --test-dir build -j 1 --output-on-failure --timeout 600
