#!/bin/bash
# Builds kiqlab inside the VM when the host has no Linux build to give:
# rustup's stable toolchain, the sources copied off /vagrant (never built
# there: shared folders are slow and rsync-synced ones one-way), one job at
# a time, swap added when memory is short. Installs /usr/local/bin/kiqlab.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq build-essential pkg-config curl rsync

export RUSTUP_HOME=/opt/rust/rustup CARGO_HOME=/opt/rust/cargo
if [ ! -x "$CARGO_HOME/bin/cargo" ]; then
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --no-modify-path
fi

mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
if [ "$mem_kb" -lt 3000000 ] && ! swapon --show=NAME --noheadings | grep -q /swapfile-kiqlab; then
  echo "build-in-vm: $((mem_kb / 1024)) MB of memory; adding 3 GB of swap for the build"
  fallocate -l 3G /swapfile-kiqlab
  chmod 0600 /swapfile-kiqlab
  mkswap /swapfile-kiqlab >/dev/null
  swapon /swapfile-kiqlab
fi

build=/var/tmp/kiqlab-build
mkdir -p "$build"
rsync -a --delete --exclude target/ --exclude .git/ --exclude .vagrant/ --exclude kiqlab-data/ /vagrant/ "$build/src/"
cd "$build/src"
CARGO_TARGET_DIR="$build/target" "$CARGO_HOME/bin/cargo" build --release --locked -j 1
install -m 0755 "$build/target/release/kiqlab" /usr/local/bin/kiqlab

if swapon --show=NAME --noheadings | grep -q /swapfile-kiqlab; then
  swapoff /swapfile-kiqlab && rm -f /swapfile-kiqlab
fi
echo "build-in-vm: installed $(/usr/local/bin/kiqlab --version)"
