#!/bin/sh
# `systemd-analyze verify` of the unit as `cmake --install` writes it, into a
# temporary prefix whose daemon and man page it then finds. verify exits 0 on
# some bad values, so any output at all is a failure.
# Usage: verify_unit.sh BUILD_DIR
set -eu
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$1" --prefix "$prefix" >/dev/null
unit="$prefix/lib/systemd/system/unbuckle-xdp.service"
grep -q "^ExecStart=$prefix/bin/unbuckle-xdp " "$unit"
out=$(MANPATH="$prefix/share/man" systemd-analyze verify "$unit" 2>&1) || true
if [ -n "$out" ]; then
  echo "systemd-analyze verify $unit:"
  echo "$out"
  exit 1
fi
echo "systemd-analyze verify: clean"
