#!/usr/bin/env bash
# The load lesson's figures, the "The load lesson" section of
# docs/benchmarks.md, printed as Markdown on stdout: starts `kiqlab demo` with
# its defaults (5 request threads like Puma's, 2 workers x 5, the 2 s
# highlight; SQLite in a temporary directory) on free ports, runs `kiqlab
# load` against Snippets with 20 users and 100 requests a mode, sync then
# async, and stops the demo. Usage: bench/load_lesson.sh [BIN]
# (default target/debug/kiqlab; bench/run.sh passes the release binary).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/debug/kiqlab}")
work=$(mktemp -d)
demo=""
cleanup() {
  if [ -n "$demo" ]; then kill -TERM "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

(cd "$work" && KIQLAB_DATA_DIR="$work/data" exec "$BIN" demo --port 0 --smtp-port 0 >"$work/demo.log" 2>&1) &
demo=$!
# The banner says where it listens: "  web        http://127.0.0.1:PORT/".
base=""
for _ in $(seq 300); do
  base=$(sed -n 's|^  web  *\(http://[^ ]*[^/]\)/$|\1|p' "$work/demo.log" | head -n 1)
  [ -n "$base" ] && curl -sf "$base/" >/dev/null 2>&1 && break
  base=""
  sleep 0.2
done
[ -n "$base" ] || { echo "the demo did not start:" >&2; tail -n 20 "$work/demo.log" >&2; exit 1; }

args=(--app snippets --users 20 --requests 100 --mode both)
echo "kiqlab load ${args[*]} against the demo…" >&2
table=$("$BIN" load --url "$base" "${args[@]}" 2>/dev/null)
profile=$(case "$BIN" in */release/*) echo release;; *) echo debug;; esac)

cat <<MD

## The load lesson

\`bench/load_lesson.sh\` starts \`kiqlab demo\` with its defaults (5 request threads
for the apps' pages, like Puma's; 2 workers of 5; the tutorial's 2 s \`sleep\`
before highlighting) and runs, against it, what a teacher runs in class
(\`/lessons/load\` runs the same driver):

\`\`\`
kiqlab load --url http://127.0.0.1:PORT ${args[*]}
\`\`\`

Measured $(date -u +%Y-%m-%d) with the $profile build on $(nproc) cores:

\`\`\`
$table
\`\`\`

A request is the form's POST up to its answer (the 303 to the snippet), timed
by the client; "plain page" is \`/\` loaded every 250 ms by another visitor
during the run. Sync: each "run inline" post holds one of the 5 threads for
its 2 s of work, so 20 users wait in line about 4 deep (20 / 5 x 2 s = 8 s
each), the node manages 5 / 2 s = 2.5 posts a second, and the plain page
waits for a thread like everyone else. Async: the post only saves the
snippet and its job, so it answers in milliseconds and the other visitor
does not notice; the two workers highlight the 100 snippets afterwards.
MD
