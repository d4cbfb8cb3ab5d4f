#!/usr/bin/env bash
# Installs every Debian package that building, testing and the demo need.
# Idempotent: re-running installs nothing new. Must run as root on Debian 12.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(
  # build
  build-essential meson ninja-build pkg-config clang lld libclang-rt-14-dev
  # libraries
  dpdk dpdk-dev libdpdk-dev libpcap-dev libcmocka-dev libxml2-dev libxml2-utils libyaml-dev
  libsqlite3-dev sqlite3 libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libglpk-dev
  libbpf-dev libssl-dev
  # test peers and tools
  iproute2 ethtool iputils-ping tcpdump tshark python3-scapy iperf3 netcat-openbsd
  socat procps psmisc graphviz python3-yaml openssl curl
  # VM guests for the vhost-user tests
  qemu-system-x86 busybox-static cpio
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${1:-}" = "--check" ]; then
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "setup-deps: missing: ${missing[*]}" >&2
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-deps: missing packages (${missing[*]}) and not root; run as root" >&2
  exit 1
fi

echo "setup-deps: installing ${missing[*]}"
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-deps: done"
