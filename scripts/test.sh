#!/usr/bin/env bash
# Install what the tests need, lint, then run them (tests needing ../shared skip cleanly when it is absent).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"` for the fast lane.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
. .venv/bin/activate
ruff check .
lint-imports
export ASSISTANT_TEST_CACHE=${ASSISTANT_TEST_CACHE:-$HOME/.cache/policy-assistant}
python -m pytest -q "$@"
