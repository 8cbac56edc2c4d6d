#!/usr/bin/env bash
# Installs the Debian packages the project builds, tests and benchmarks with.
# Idempotent: apt runs only when something is missing.
set -euo pipefail
packages=(
  build-essential cmake pkg-config ccache
  clang llvm libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev
  libgtest-dev libgmock-dev libspdlog-dev libfmt-dev libcli11-dev
  iproute2 python3 memcached libmemcached-tools
  pybind11-dev python3-dev  # the Python module unbuckle_client (client/python)
  # Real memcached clients and twemproxy for tests/integration/clients.
  python3-pymemcache python3-pylibmc php-cli php-memcached nutcracker
  python3-pytest python3-memcache  # pymemcache's own test suite and its benchmarks' clients
  perl dpkg-dev  # memcached 1.6.18's own t/*.t: perl runs them, dpkg-source unpacks them
  libsystemd-dev  # sd_notify for Type=notify
  # tests/integration/service: a real systemd booted by systemd-nspawn in a
  # debootstrapped Debian tree; groff lints the man pages.
  debootstrap systemd-container groff-base
  lintian  # Debian policy checks of the packages cpack makes (tests/integration/packaging)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: missing packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "install-deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
