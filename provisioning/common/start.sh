#!/bin/bash
# Every node, at every `vagrant up`/`reload`/`provision`: install the kiqlab
# binary, write /etc/kiqlab/lab.env, install the systemd units. The role's
# start.sh then (re)starts its services.
#
# The binary comes, in this order, from
#   1. /tmp/kiqlab-upload: a Linux build from the host (the Vagrantfile's
#      kiqlab-binary step uploads target/x86_64-unknown-linux-musl/release/
#      kiqlab or target/release/kiqlab when one exists, and only when this
#      machine's /usr/local/bin/kiqlab has another SHA-256), if it runs here;
#   2. /usr/local/bin/kiqlab, already installed, if it runs;
#   3. a build inside this VM from the synced sources (common/build-in-vm.sh).
set -euo pipefail

src=/vagrant
bin=/usr/local/bin/kiqlab
upload=/tmp/kiqlab-upload

runs() { "$1" --version >/dev/null 2>&1; }

if [ -f "$upload" ]; then
  chmod 0755 "$upload"
  if runs "$upload"; then
    if ! cmp -s "$upload" "$bin"; then
      install -m 0755 "$upload" "$bin"
      echo "common/start: installed the host's build: $("$bin" --version)"
    fi
  else
    echo "common/start: the host's build does not run here (built for a newer glibc, or not for Linux);" >&2
    echo "  build it with: cargo build --release --target x86_64-unknown-linux-musl" >&2
  fi
  rm -f "$upload"
fi
if ! runs "$bin"; then
  echo "common/start: no kiqlab binary that runs here; building one in this VM (10-30 minutes)"
  "$src/provisioning/common/build-in-vm.sh"
fi
echo "common/start: $("$bin" --version)"

# One environment file for every service of every node.
KIQLAB_LAB_REDIS_PASSWORD=${KIQLAB_LAB_REDIS_PASSWORD:?the Vagrantfile passes the lab secrets}
KIQLAB_NET=${KIQLAB_NET:?the Vagrantfile passes KIQLAB_NET (provisioning/steps)}
export KIQLAB_LAB_REDIS_PASSWORD KIQLAB_LAB_INTERNAL_TOKEN KIQLAB_LAB_TAGGER_KEY KIQLAB_NET
"$src/provisioning/common/render-env" "$src/provisioning/lab.env" /etc/kiqlab/lab.env

install -m 0644 "$src"/provisioning/systemd/kiqlab-*.service /etc/systemd/system/
systemctl daemon-reload
