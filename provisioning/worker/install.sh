#!/bin/bash
# A worker node, once: redis-cli, to look at the queues from here.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq redis-tools
echo "worker/install: redis-cli installed"
