#!/bin/bash
# Every node, once (the first `vagrant up`): the kiqlab user and the
# directories the services use. The original lab installed Ruby here; one
# static binary needs nothing more than this.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# rsync: the in-VM build copies the sources with it; curl: to try the apps.
apt-get install -y -qq ca-certificates curl rsync htop

if ! getent passwd kiqlab >/dev/null; then
  useradd --system --home-dir /var/lib/kiqlab --shell /usr/sbin/nologin kiqlab
fi
install -d -m 0755 /etc/kiqlab
install -d -m 0750 -o kiqlab -g kiqlab /var/lib/kiqlab
echo "common/install: user kiqlab and /etc/kiqlab ready"
