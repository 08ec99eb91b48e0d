#!/usr/bin/env bash
# Regenerates docs/benchmarks.md: kiqlab on both stores at c=10 and c=25
# (100,000 no-op jobs, 3 repetitions, medians), real Sidekiq 6.4.1 on the same
# machine and Redis as the baseline, and redis-benchmark's raw LPUSH/RPOP
# figures as the ceiling, and the dashboard's render times with JOBS jobs in a
# queue and in the retry set. Usage: bench/run.sh [JOBS] [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${1:-100000}
REPS=${2:-3}
OUT=docs/benchmarks.md
RAW=$(mktemp -d)
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$RAW"' EXIT

cargo build --release --quiet
BIN=target/release/kiqlab

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --dir "$RAW" --logfile "$RAW/redis.log" >/dev/null
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
REDIS="redis://127.0.0.1:$PORT/0"

echo "redis-benchmark (ceiling)…" >&2
redis-benchmark -p "$PORT" -t lpush,rpop -n 200000 -q > "$RAW/redis-benchmark.txt" 2>/dev/null
redis-benchmark -p "$PORT" -t lpush,rpop -n 200000 -P 16 -q > "$RAW/redis-benchmark-p16.txt" 2>/dev/null
redis-cli -p "$PORT" flushall >/dev/null

for c in 10 25; do
  for rep in $(seq "$REPS"); do
    echo "kiqlab redis c=$c rep $rep…" >&2
    $BIN bench --store "$REDIS" --jobs "$JOBS" -c "$c" --json 2>/dev/null >> "$RAW/kiqlab-redis-c$c.jsonl"
    echo "kiqlab sqlite c=$c rep $rep…" >&2
    rm -f "$RAW"/jobs.db*
    $BIN bench --store "sqlite://$RAW/jobs.db" --jobs "$JOBS" -c "$c" --json 2>/dev/null >> "$RAW/kiqlab-sqlite-c$c.jsonl"
    if ruby -e 'require "sidekiq"' 2>/dev/null; then
      echo "sidekiq c=$c rep $rep…" >&2
      ruby bench/sidekiq_load.rb "$REDIS" "$JOBS" "$c" 2>/dev/null >> "$RAW/sidekiq-c$c.jsonl"
    fi
  done
done
echo "kiqlab redis c=25, 2 processes…" >&2
for rep in $(seq "$REPS"); do
  $BIN bench --store "$REDIS" --jobs "$JOBS" -c 25 --processes 2 --json 2>/dev/null >> "$RAW/kiqlab-redis-c25-p2.jsonl"
done

echo "dashboard render times (100k queued, 100k retries)…" >&2
bash bench/dashboard.sh "$JOBS" 10 > "$RAW/dashboard.jsonl"

python3 bench/report.py "$RAW" "$JOBS" "$REPS" "$(redis-server --version)" > "$OUT"
echo "the load lesson against kiqlab demo…" >&2
bash bench/load_lesson.sh "$BIN" >> "$OUT"
echo "wrote $OUT" >&2
