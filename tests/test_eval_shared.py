"""Retrieval on the shared dev set over ../shared/corpus, against the naive baseline (skipped without shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.components import Components
from bench.baseline import run_with_baseline

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]

# reached with the current method (docs/benchmarks.md); a drop fails CI. r@5 was 0.975 in an earlier stop's
# figures; with the vectors of the shipped embeddings file the code of that stop gives 0.95 too (d17 falls
# below rank 5 under both), so the gate is what is reached now.
DEV_RECALL_AT_5 = 0.975  # with the question bank less the dev set's own questions (1.00 reached)
DEV_RECALL_AT_1 = 0.85
DEV_RECALL_800CH = 0.92
# the project's own extra set over the shared corpus, written apart from the method (eval/shared-heldout.jsonl)
HELDOUT_RECALL_AT_5 = 0.86  # 0.88 reached


def test_dev_set_beats_baseline(shared_index, shared_dir):
    result = run_with_baseline(Components.load(shared_index), [shared_dir / "eval" / "dev.jsonl"], k=10)
    ours, base = result["ours"], result["baseline"]
    assert ours["n"] == 40
    assert ours["recall"]["5"] >= DEV_RECALL_AT_5, ours["misses"]
    assert ours["recall"]["1"] >= DEV_RECALL_AT_1
    assert ours["recall_800ch"] >= DEV_RECALL_800CH
    assert ours["recall"]["1"] > base["recall"]["1"] and ours["recall_800ch"] > base["recall_800ch"]


def test_heldout_set_beats_baseline(shared_index):
    result = run_with_baseline(Components.load(shared_index), [ROOT / "eval" / "shared-heldout.jsonl"], k=10)
    ours, base = result["ours"], result["baseline"]
    assert ours["n"] == 50
    assert ours["recall"]["5"] >= HELDOUT_RECALL_AT_5, ours["misses"]
    assert ours["recall"]["5"] > base["recall"]["5"] and ours["recall_800ch"] > base["recall_800ch"]


def test_second_ingest_of_unchanged_corpus_is_fast(shared_index, shared_dir):
    report = Components.load(shared_index).ingestor().run([shared_dir / "corpus"])
    assert report.unchanged == 21 and report.chunks == 0
    assert report.seconds < 3.0
