#!/bin/bash
# A worker node, always: the services in worker/units, (re)started. Each
# worker registers under this VM's hostname and private IP.
set -euo pipefail

src=/vagrant/provisioning
grep -v '^#' "$src/worker/units" | while read -r unit; do
  [ -n "$unit" ] || continue
  systemctl enable --quiet "$unit"
  systemctl restart "$unit"
done
for _ in $(seq 1 30); do
  if systemctl is-active --quiet kiqlab-worker; then
    echo "worker/start: $(hostname) is working for http://192.168.56.10:3000/ (journalctl -fu kiqlab-worker)"
    exit 0
  fi
  sleep 1
done
echo "worker/start: kiqlab-worker is not running; see: journalctl -u kiqlab-worker" >&2
exit 1
