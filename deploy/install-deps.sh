#!/usr/bin/env bash
# Installs every Debian 12 package hepprobe's build, tests, demo and benchmarks need.
# Idempotent and non-interactive; run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
pkgs=(
  build-essential pkg-config meson ninja-build python3 python3-yaml
  dpdk dpdk-dev libdpdk-dev
  libbpf-dev bpftool libxdp-dev clang llvm
  libhyperscan-dev libjemalloc-dev libcriterion-dev zlib1g-dev
  libpcap-dev libmicrohttpd-dev libssl-dev openssl
  prometheus systemd
  tshark sngrep sip-tester tmux sqlite3 iproute2 ethtool
  kamailio kamailio-sqlite-modules
  valgrind
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
