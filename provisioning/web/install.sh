#!/bin/bash
# The web node, once: Redis (the original lab's web/install.sh did the same).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq redis-server
echo "web/install: $(redis-server --version)"
