#!/usr/bin/env bash
# Install what the tests need, then run them (tests needing ../shared skip cleanly when it is absent).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export ASSISTANT_TEST_CACHE=${ASSISTANT_TEST_CACHE:-$HOME/.cache/policy-assistant}
python -m pytest -q "$@"
