#!/usr/bin/env bash
# Install what serving needs (first run only), bring the index in line with corpus/ (incremental; a new index
# takes its vectors from corpus/embeddings.npz), then serve http://127.0.0.1:8000 (options go to `assistant serve`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh serve
. .venv/bin/activate
python -m compileall -q assistant  # our modules as bytecode once, even where PYTHONDONTWRITEBYTECODE is set
echo "==> 入库 corpus/（未改动的文件跳过）"
assistant ingest corpus
exec assistant serve "$@"
