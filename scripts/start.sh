#!/usr/bin/env bash
# Install, build the index of corpus/ on first run (incremental afterwards), then serve the API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
assistant ingest corpus
exec assistant serve "$@"
