#!/usr/bin/env bash
# Fuzzes payload parsing (the proptest target in tests/it/fuzz_payload.rs) for a
# bounded time: round after round with fresh random seeds until SECONDS pass.
# Usage: scripts/fuzz-payload.sh [SECONDS] [CASES_PER_ROUND]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_LIMIT=${1:-60}
CASES=${2:-20000}
cargo test --release --test it --no-run --quiet
deadline=$((SECONDS + SECONDS_LIMIT))
rounds=0
while [ "$SECONDS" -lt "$deadline" ]; do
  PROPTEST_CASES=$CASES cargo test --release --quiet --test it fuzz_payload -- --test-threads 2 >/dev/null
  rounds=$((rounds + 1))
done
echo "fuzz-payload: $rounds rounds of $CASES cases per property, no failure"
