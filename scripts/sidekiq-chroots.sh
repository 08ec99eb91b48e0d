#!/usr/bin/env bash
# Builds the Debian chroots that hold the real Sidekiq versions the interop
# suite (tests/it/interop) runs against, when they are missing:
#   trixie: ruby-sidekiq 7.3.x      sid: ruby-sidekiq 8.1.x + ruby-activejob 7.2
# each with puma, ruby-rack (and ruby-rack-session, ruby-activejob where the
# suite has them). Host Sidekiq 6.4.1 is Debian 12's ruby-sidekiq.
#
# Usage: scripts/sidekiq-chroots.sh [SUITE…]     (default: trixie sid)
# Env:   KIQLAB_CHROOTS  cache directory (default /var/cache/kiqlab-ci)
#        DEBIAN_MIRROR   mirror (default: the host's apt source, else deb.debian.org)
#
# A chroot is built in a temporary directory beside its final place and
# renamed when complete, so a half-built one is never used; a finished one
# has a `kiqlab-chroot.txt` that names its package versions. Needs root and
# debootstrap. Prints how long each build took.
set -euo pipefail

CACHE=${KIQLAB_CHROOTS:-/var/cache/kiqlab-ci}
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(trixie sid)

mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then
    echo "$DEBIAN_MIRROR"
    return
  fi
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +http[^ ]*/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
    grep -oE 'http[^ ]*' | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# Packages to install in SUITE's chroot (the optional ones only when the
# suite has them).
packages_for() {
  local root=$1 pkgs=(ruby-sidekiq puma ruby-rack) opt
  for opt in ruby-rack-session ruby-activejob; do
    if chroot "$root" apt-cache show "$opt" >/dev/null 2>&1; then
      pkgs+=("$opt")
    fi
  done
  echo "${pkgs[@]}"
}

unmount_all() {
  local root=$1 m
  for m in dev/pts dev proc sys; do
    if mountpoint -q "$root/$m"; then
      umount -l "$root/$m" || true
    fi
  done
}

build() {
  local suite=$1 final="$CACHE/$1" tmp start
  if [ -f "$final/kiqlab-chroot.txt" ]; then
    echo "sidekiq-chroots: $suite ready at $final ($(tr '\n' ' ' <"$final/kiqlab-chroot.txt"))"
    return
  fi
  [ "$(id -u)" -eq 0 ] || {
    echo "sidekiq-chroots: building the $suite chroot needs root (debootstrap, chroot, mount)" >&2
    exit 1
  }
  command -v debootstrap >/dev/null || {
    echo "sidekiq-chroots: debootstrap is not installed (apt-get install debootstrap)" >&2
    exit 1
  }
  mkdir -p "$CACHE"
  tmp=$(mktemp -d "$CACHE/.$suite.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the trap must name this build's dir
  trap "unmount_all '$tmp'; rm -rf --one-file-system '$tmp'" EXIT
  start=$SECONDS
  echo "sidekiq-chroots: building $suite in $tmp from $(mirror)"
  debootstrap --variant=minbase "$suite" "$tmp" "$(mirror)" >"$tmp.log" 2>&1 || {
    tail -n 30 "$tmp.log" >&2
    echo "sidekiq-chroots: debootstrap $suite failed (log: $tmp.log)" >&2
    exit 1
  }
  # sid's Release can be past its Valid-Until on a machine whose clock is ahead.
  echo 'Acquire::Check-Valid-Until "false";' >"$tmp/etc/apt/apt.conf.d/99kiqlab-valid-until"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$tmp/etc/apt/apt.conf.d/99kiqlab-no-recommends"
  cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
  mount -t proc proc "$tmp/proc"
  mount --bind /dev "$tmp/dev"
  chroot "$tmp" apt-get update -qq
  local pkgs
  pkgs=$(packages_for "$tmp")
  # shellcheck disable=SC2086 # a word list
  DEBIAN_FRONTEND=noninteractive chroot "$tmp" apt-get install -y -qq $pkgs >>"$tmp.log" 2>&1 || {
    tail -n 30 "$tmp.log" >&2
    echo "sidekiq-chroots: apt-get install $pkgs in $suite failed" >&2
    exit 1
  }
  chroot "$tmp" apt-get clean
  unmount_all "$tmp"
  # A mount point for the suite's Ruby files (bound read-only per run).
  mkdir -p "$tmp/kiqlab"
  {
    echo "suite=$suite"
    # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
    chroot "$tmp" dpkg-query -W -f='${Package}=${Version}\n' ruby ruby-sidekiq puma ruby-rack ruby-rack-session ruby-activejob 2>/dev/null || true
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) seconds=$((SECONDS - start))"
  } >"$tmp/kiqlab-chroot.txt"
  rm -rf "$final"
  mv "$tmp" "$final"
  rm -f "$tmp.log"
  trap - EXIT
  echo "sidekiq-chroots: built $suite in $((SECONDS - start)) s: $(tr '\n' ' ' <"$final/kiqlab-chroot.txt")"
}

for s in "${SUITES[@]}"; do
  build "$s"
done
