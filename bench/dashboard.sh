#!/usr/bin/env bash
# Dashboard render times with a big backlog: for each store (a private
# redis-server, a fresh SQLite file) seeds 100,000 jobs into the default
# queue and 100,000 into the retry set (real failures: a worker runs
# DemoWorker with a bad argument), starts `kiqlab web`, signs in and times
# each page over HTTP (bench/dashboard.py). Prints JSON lines.
# Usage: bench/dashboard.sh [JOBS] [REPS]   (release binary; builds it)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${1:-100000}
REPS=${2:-10}
cargo build --release --quiet
BIN=$PWD/target/release/kiqlab
WORK=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  redis-cli -p "$RPORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
stat() { "$BIN" stats --store "$1" --json 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)[\"$2\"])"; }

RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --dir "$WORK" --logfile "$WORK/redis.log" >/dev/null
for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

PASSWORD="bench password $(date +%s%N)"
for store in redis sqlite; do
  if [ "$store" = redis ]; then URL="redis://127.0.0.1:$RPORT/0"; else URL="sqlite://$WORK/jobs.db"; fi
  echo "seeding $JOBS failing jobs into the retry set ($store)…" >&2
  "$BIN" enqueue DemoWorker '"not a delay"' --queue failing --count "$JOBS" --store "$URL" >/dev/null
  "$BIN" worker --store "$URL" -q failing -c 25 --poll-interval 1h --name bench-failer >"$WORK/worker-$store.log" 2>&1 &
  wpid=$!
  until [ "$(stat "$URL" retries)" -ge "$JOBS" ]; do sleep 0.5; done
  kill -TERM "$wpid"; wait "$wpid" 2>/dev/null || true
  echo "seeding $JOBS jobs into the default queue ($store)…" >&2
  "$BIN" enqueue DemoWorker 0 queued --count "$JOBS" --store "$URL" >/dev/null
  DB="$WORK/web-$store.db"
  printf '%s\n' "$PASSWORD" | "$BIN" admin --database "$DB" create-user bench@example.com --admin >/dev/null
  WPORT=$(free_port)
  KIQLAB_DATA_DIR="$WORK/data" "$BIN" web --store "$URL" --database "$DB" --port "$WPORT" >"$WORK/web-$store.log" 2>&1 &
  webpid=$!
  pids+=("$webpid")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$WPORT/" >/dev/null && break; sleep 0.1; done
  python3 bench/dashboard.py "http://127.0.0.1:$WPORT" bench@example.com "$PASSWORD" "$store" "$REPS"
  kill -TERM "$webpid"; wait "$webpid" 2>/dev/null || true
done
