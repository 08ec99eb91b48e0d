#!/usr/bin/env bash
# Every test: the Rust suite (unit and integration tests against real
# redis-server, SQLite files, SMTP and HTTP), then the browser tests in
# headless Chromium. Needs what .ci/run installs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets
bash tests/browser/run.sh
