#!/usr/bin/env bash
# Browser tests: builds the debug binary, starts a private redis-server and
# `kiqlab demo` (web, 2 workers, mail catcher, tagger; the demo picks its own
# free ports and prints where it listens), runs
# apps.mjs, dashboard.mjs, flow.mjs, workers.mjs… in headless Chromium, and tears everything down,
# even on failure.
# Needs: redis-server, node/npm, Debian's chromium (apt-get install -y chromium).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
pids=()

cleanup() {
  local status=$?
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$status" -ne 0 ] && [ -f "$work/demo.log" ]; then
    echo "--- demo log (last 40 lines) ---"; tail -n 40 "$work/demo.log"
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "timed out waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}

cargo build --manifest-path "$root/Cargo.toml" --bin kiqlab
bin="$root/target/debug/kiqlab"
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --dir "$work" >/dev/null 2>&1 &
pids+=($!)
wait_for 20 redis redis-cli -p "$redis_port" ping

# The demo runs the mail catcher (/mail) and the tagger (/tagger) in-process.
KIQLAB_DATA_DIR="$work/data" "$bin" demo \
  --redis "redis://127.0.0.1:$redis_port/0" --port 0 --smtp-port 0 \
  --highlight-delay 1s --smtp-delay 0s --tagger-latency 0s --poll-interval 500ms \
  >"$work/demo.log" 2>&1 &
pids+=($!)
# Its banner says where it listens: "  web        http://127.0.0.1:PORT/".
web_url() { sed -n 's|^  web  *\(http://[^ ]*[^/]\)/$|\1|p' "$work/demo.log" | head -n 1; }
banner_printed() { [ -n "$(web_url)" ]; }
wait_for 60 "the demo's banner" banner_printed
base_url=$(web_url)
wait_for 60 "the web node" curl -sf "$base_url/"

# Each script has a watchdog: a browser that hangs fails the run, not CI.
BASE_URL="$base_url" SCREENSHOT_DIR="$root/docs/screenshots" \
  timeout --kill-after=10 900 node "$here/apps.mjs"
BASE_URL="$base_url" SCREENSHOT_DIR="$root/docs/screenshots" timeout --kill-after=10 900 node "$here/job_state.mjs"
BASE_URL="$base_url" SCREENSHOT_DIR="$root/docs/screenshots" timeout --kill-after=10 900 node "$here/playground.mjs"
BASE_URL="$base_url" SCREENSHOT_DIR="$root/docs/screenshots" timeout --kill-after=10 900 node "$here/accounts.mjs"
BASE_URL="$base_url" SCREENSHOT_DIR="$root/docs/screenshots" timeout --kill-after=10 900 node "$here/tutorials.mjs"
# The dashboard, signed in as the admin the demo made.
BASE_URL="$base_url" SCREENSHOT_DIR="$root/docs/screenshots" \
  ADMIN_PASSWORD="$(cat "$work/data/admin-password")" timeout --kill-after=10 900 node "$here/dashboard.mjs"
# The load lesson (admins only): sync then async, side by side.
BASE_URL="$base_url" SCREENSHOT_DIR="$root/docs/screenshots" \
  ADMIN_PASSWORD="$(cat "$work/data/admin-password")" timeout --kill-after=10 900 node "$here/load_lesson.mjs"
# The flow view: jobs moving from the web node through the queues to each worker.
BASE_URL="$base_url" SCREENSHOT_DIR="$root/docs/screenshots" timeout --kill-after=10 900 node "$here/flow.mjs"
# A submit's own time and its steps, /timings' axis, a Busy count that is live.
BASE_URL="$base_url" SCREENSHOT_DIR="$root/docs/screenshots" \
  ADMIN_PASSWORD="$(cat "$work/data/admin-password")" timeout --kill-after=10 900 node "$here/timing_busy.mjs"
# Workers with addresses of their own (worker-01 127.0.0.11, worker-02 127.0.0.12).
BASE_URL="$base_url" SCREENSHOT_DIR="$root/docs/screenshots" \
  ADMIN_PASSWORD="$(cat "$work/data/admin-password")" timeout --kill-after=10 900 node "$here/workers.mjs"
