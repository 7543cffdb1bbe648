#!/usr/bin/env bash
# Installs what the tests and the sandbox need on a fresh machine, and nothing when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages: install when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
