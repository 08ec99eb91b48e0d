#!/usr/bin/env bash
# Regenerates docs/compatibility.md, the matrix of the interop suite
# (tests/it/interop) on Sidekiq 6.4, 7.3 and 8.1: runs every check, the
# ones ignored as failing today included, then renders the recorded results
# (target/interop-results/) with scripts/compat-matrix.py. Needs redis-server,
# the host's ruby-sidekiq and the chroots (scripts/sidekiq-chroots.sh).
# Exits non-zero when a check fails that is not marked as failing today.
#
# Usage: scripts/compat-matrix.sh             run the whole suite, then render
#        scripts/compat-matrix.sh --ignored   run only the ignored checks (after
#                                             a `cargo test` that ran the others)
#        scripts/compat-matrix.sh --render    render what was recorded
set -euo pipefail
cd "$(dirname "$0")/.."
results=${KIQLAB_INTEROP_RESULTS:-target/interop-results}
case ${1:-} in
  "")
    rm -rf "$results"
    # Failing-today checks fail this run by design; the renderer judges.
    cargo test --test it interop:: -- --include-ignored || true
    ;;
  --ignored) cargo test --test it interop:: -- --ignored || true ;;
  --render) ;;
  *)
    echo "usage: $0 [--ignored|--render]" >&2
    exit 2
    ;;
esac
python3 scripts/compat-matrix.py --results "$results" --chroots "${KIQLAB_CHROOTS:-/var/cache/kiqlab-ci}"
