#!/bin/bash
# The web node, always: Redis configured from provisioning/redis/kiqlab.conf
# with the lab's password and network (KIQLAB_NET), then the services in
# web/units, (re)started.
set -euo pipefail

src=/vagrant/provisioning
net=${KIQLAB_NET:?the Vagrantfile passes KIQLAB_NET (provisioning/steps)}

# The password is the one in REDIS_URL: redis://:PASSWORD@host:port/db.
password=$(sed -n 's|^REDIS_URL=redis://:\([^@]*\)@.*|\1|p' /etc/kiqlab/lab.env)
if [ -z "$password" ]; then
  echo "web/start: no password in REDIS_URL in /etc/kiqlab/lab.env" >&2
  exit 1
fi
umask 027
{
  sed "s/@NET@/$net/g" "$src/redis/kiqlab.conf"
  echo
  echo "# Added by provisioning/web/start.sh from /etc/kiqlab/lab.env"
  echo "requirepass $password"
} > /etc/redis/redis.conf.new
chown redis:redis /etc/redis/redis.conf.new
mv /etc/redis/redis.conf.new /etc/redis/redis.conf
install -d /etc/systemd/system/redis-server.service.d
install -m 0644 "$src/systemd/redis-server.service.d/kiqlab.conf" /etc/systemd/system/redis-server.service.d/
systemctl daemon-reload

grep -v '^#' "$src/web/units" | while read -r unit; do
  [ -n "$unit" ] || continue
  systemctl enable --quiet "$unit"
  systemctl restart "$unit"
done

# Wait for the web node to answer, so `vagrant up` ends with it ready.
for _ in $(seq 1 60); do
  if curl -fsS -o /dev/null http://127.0.0.1:3000/ 2>/dev/null; then
    echo "web/start: the web node answers on http://$net.10:3000/"
    exit 0
  fi
  sleep 1
done
echo "web/start: the web node did not answer in 60 s; see: journalctl -u kiqlab-web" >&2
journalctl -u kiqlab-web -n 20 --no-pager >&2 || true
exit 1
