#!/usr/bin/env bash
# Every test: the Rust suite (unit and integration tests against real
# redis-server, SQLite files, SMTP and HTTP; the interop suite on Sidekiq
# 6.4, 7.3 and 8.1), then the interop checks ignored as failing today and
# the compatibility matrix they give (docs/compatibility.md), then the
# browser tests in headless Chromium. Needs what .ci/run installs (and the
# chroots scripts/sidekiq-chroots.sh builds).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf target/interop-results
cargo test --all-targets
bash scripts/compat-matrix.sh --ignored
bash tests/browser/run.sh
