#!/bin/bash
# A worker node, always: the services in worker/units, (re)started, then a
# wait for this worker's heartbeat in Redis. Each worker registers under
# this VM's hostname and private IP. "Active" is not enough: a worker that
# cannot reach Redis is active for two seconds at a time, between restarts.
set -euo pipefail

src=/vagrant/provisioning
net=${KIQLAB_NET:?the Vagrantfile passes KIQLAB_NET (provisioning/steps)}
deadline=${KIQLAB_WORKER_START_TIMEOUT:-90}

grep -v '^#' "$src/worker/units" | while read -r unit; do
  [ -n "$unit" ] || continue
  systemctl enable --quiet "$unit"
  systemctl restart "$unit"
done

# The worker's identity is HOSTNAME:PID:NONCE (Sidekiq's), in the
# `processes` set while it beats; PID is the unit's main process, so an
# identity left by an earlier, killed worker does not count.
# REDIS_URL is redis://:PASSWORD@HOST:PORT/DB (provisioning/lab.env);
# redis-cli's own -u sends an empty user name, which Redis refuses.
url=$(sed -n 's|^REDIS_URL=redis://||p' /etc/kiqlab/lab.env | tail -n 1)
auth=${url%%@*}
addr=${url#*@}
addr=${addr%%/*}
registered() {
  local pid
  pid=$(systemctl show --property=MainPID --value kiqlab-worker)
  [ "${pid:-0}" -gt 0 ] || return 1
  REDISCLI_AUTH=${auth#:} redis-cli -h "${addr%:*}" -p "${addr##*:}" SMEMBERS processes 2>/dev/null |
    grep -q "^$(hostname):$pid:"
}
end=$((SECONDS + deadline))
while [ "$SECONDS" -lt "$end" ]; do
  if registered; then
    echo "worker/start: $(hostname) is working for http://$net.10:3000/ (journalctl -fu kiqlab-worker)"
    exit 0
  fi
  sleep 1
done
echo "worker/start: $(hostname)'s worker has no heartbeat in Redis ($net.10:6379) after $deadline s." >&2
echo "  Is the web machine up (vagrant up web)? Its last log lines:" >&2
journalctl -u kiqlab-worker -n 20 --no-pager >&2 || true
exit 1
