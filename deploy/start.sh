#!/usr/bin/env bash
# The main job on a fresh machine: install, build, and run the apiserver in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> Installing system packages"; bash deploy/install-deps.sh
echo "==> Installing npm packages"; npm install --no-audit --no-fund --loglevel=error
echo "==> Building"; npx tsc -p tsconfig.json
DATA_DIR=${SKIFF_DATA_DIR:-/var/lib/skiff/apiserver}
PORT=${SKIFF_PORT:-8080}
echo "==> Starting the apiserver on http://127.0.0.1:${PORT} (data in ${DATA_DIR}); Ctrl-C stops it"
exec node dist/shared/cli.js apiserver --data-dir "$DATA_DIR" --bind-address 127.0.0.1 --port "$PORT"
