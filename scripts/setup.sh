#!/usr/bin/env bash
# Create .venv and install what a profile needs, once:
#   serve (default)  what `assistant ingest` and `assistant serve` need — no torch, no test tools;
#   test             also the test tools, the sentence-transformers extra and CPU-only torch.
# A later call with the same pyproject.toml skips pip (the project is installed editable: code changes need no
# reinstall). Set TORCH_INDEX_URL to use another CPU-only wheel index (default: PyTorch's own).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-serve}
case "$profile" in serve) extras="" ;; test) extras="[dev,st]" ;; *) echo "用法：scripts/setup.sh [serve|test]" >&2; exit 2 ;; esac
PY=${PYTHON:-python3}
TORCH_VERSION=2.13.0
want=$( { cat pyproject.toml; echo "$profile $TORCH_VERSION"; "$PY" --version; } | sha256sum | cut -c1-16)
installed() { [ -x .venv/bin/assistant ] && [ "$(cat ".venv/.installed-$1" 2>/dev/null)" = "$want" ]; }
if installed "$profile" || { [ "$profile" = serve ] && installed test; }; then
  exit 0  # nothing changed since the last install
fi

started=$SECONDS
if [ ! -x .venv/bin/python ]; then
  echo "==> 创建虚拟环境 .venv（$("$PY" --version)）"
  "$PY" -m venv .venv
fi
. .venv/bin/activate
# pip's own lines, one per package it fetches; errors go to stderr unfiltered
show() { sed -un 's/^Collecting \([^ ]*\).*/    · \1/p; s/^Successfully installed.*/    安装完成/p'; }

if [ "$profile" = test ] && ! python -c "import torch" 2>/dev/null; then
  echo "==> 安装 CPU 版 torch $TORCH_VERSION（仅测试与 sentence-transformers 扩展需要；不用默认索引上的 CUDA 版）"
  # a CPU wheel already on this machine (pip's find-links) is taken as it is, otherwise PyTorch's CPU-only index
  python -m pip install --progress-bar off --no-index --no-deps "torch==$TORCH_VERSION+cpu" 2>/dev/null | show \
    || python -m pip install --progress-bar off --no-deps "torch==$TORCH_VERSION+cpu" \
         --index-url "${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}" | show
fi
if [ "$profile" = serve ]; then
  echo "==> 安装运行所需的依赖（第一次需要几分钟；之后启动会跳过这一步）"
else
  echo "==> 安装测试所需的依赖（ruff、pytest、Playwright、sentence-transformers……）"
fi
python -m pip install --progress-bar off -e ".$extras" | show
echo "$want" > ".venv/.installed-$profile"
echo "==> 依赖已就绪（用时 $((SECONDS - started)) 秒）"
