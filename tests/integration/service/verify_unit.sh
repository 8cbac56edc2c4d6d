#!/bin/sh
# `systemd-analyze verify` of the unit as `cmake --install` writes it, into a
# temporary prefix whose daemon and man page it then finds. verify exits 0 on
# some bad values, so any output at all is a failure. The install goes under
# a DESTDIR, so the config (always /etc/unbuckle-xdp) never touches the
# host's /etc; the prefix is a link to where the files landed.
# Usage: verify_unit.sh BUILD_DIR
set -eu
top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
prefix="$top/prefix"
DESTDIR="$top/root" cmake --install "$1" --prefix "$prefix" >/dev/null
ln -s "$top/root$prefix" "$prefix"
test -f "$top/root/etc/unbuckle-xdp/unbuckle-xdp.conf"
unit="$prefix/lib/systemd/system/unbuckle-xdp.service"
grep -q "^ExecStart=$prefix/bin/unbuckle-xdp " "$unit"
out=$(MANPATH="$prefix/share/man" systemd-analyze verify "$unit" 2>&1) || true
if [ -n "$out" ]; then
  echo "systemd-analyze verify $unit:"
  echo "$out"
  exit 1
fi
echo "systemd-analyze verify: clean"
