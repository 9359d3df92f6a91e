"""`python -m bench benchmark --quick` end to end: the real embedder, `assistant serve` in its own process,
every table printed and every figure saved. The figures themselves depend on the machine; what is checked
is that each was measured and hangs together."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from assistant.components import Components
from assistant.settings import Settings
from bench.benchmark import LEVELS, QUICK
from bench.server import settings_env
from tests.conftest import ROOT, SEED_CORPUS

pytestmark = pytest.mark.slow  # about a minute: a model-bound ingest, a cold start, 216 HTTP requests


def test_quick_benchmark(tmp_path, embedding_cache):
    settings = Settings(index_dir=tmp_path / "index", embedding_cache=embedding_cache)
    Components.load(settings, create=True).ingestor().run([SEED_CORPUS])
    tiny = tmp_path / "corpus" / "tiny.md"  # the ingest benchmark embeds every text anew: keep it small
    tiny.parent.mkdir()
    source = (SEED_CORPUS / "policies" / "shaanxi-jili-ganbu-dandang-2020.md").read_text(encoding="utf-8")
    tiny.write_text("\n".join(source.splitlines()[:30]), encoding="utf-8")
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "bench", "benchmark", "--quick",
                           "--corpus", str(tiny.parent), "--json", str(out)], cwd=ROOT,
                          env=settings_env(settings), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for heading in ("入库 vs 模型本身", "HTTP 延迟", "地板 = 模型单条查询向量化的 p50", "冷启动到 /readyz 200", "目标"):
        assert heading in done.stdout, heading

    r = json.loads(out.read_text(encoding="utf-8"))
    ingest = r["ingest"]
    assert ingest["documents"] == 1 and ingest["passages"] == ingest["chunks"] + ingest["sentences"] > 0
    assert 0 < ingest["model_s_during_ingest"] <= ingest["ingest_s"] and ingest["embed_s"] > 0 and ingest["ratio"] > 0
    assert r["floor"]["queries"] == QUICK.floor_queries * 12 and r["floor"]["p50_ms"] > 0
    runs = {(x["endpoint"], x["questions"], x["clients"]): x for x in r["latency"]}
    endpoints, kinds = ("/api/search", "/api/chat"), ("unseen", "repeated")
    assert set(runs) == {(e, q, c) for e in endpoints for q in kinds for c in LEVELS}
    for (_, _, clients), x in runs.items():
        assert x["requests"] == QUICK.requests[clients] and x["statuses"] == {"200": x["requests"]}
        assert 0 < x["p50_ms"] <= x["p95_ms"] <= x["p99_ms"] <= x["max_ms"] and x["throughput_qps"] > 0
        assert x["floor_single_ms"] > 0 and x["floor_ms"] == pytest.approx(
            math.ceil(clients / r["machine"]["embed_workers"]) * x["floor_single_ms"])
        assert x["p95_over_floor"] == pytest.approx(x["p95_ms"] / x["floor_ms"])
    server = r["server"]
    assert server["alive"] and len(server["cold_start_s"]) == QUICK.starts and server["cold_start_median_s"] > 0
    assert 0 < server["rss_ready_mb"] <= server["peak_rss_mb"]
    assert len(r["goals"]) == 8 and all(g["met"] == (g["value"] <= g["limit"]) for g in r["goals"])
