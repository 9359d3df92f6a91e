"""CI gate: retrieval on the project's own seed question set must not fall below what it reaches."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from assistant.cli import app
from assistant.components import Components
from assistant.settings import Settings
from bench.baseline import run_with_baseline
from tests.conftest import SEED_CORPUS

ROOT = Path(__file__).resolve().parents[1]
SEED_RECALL_AT_5 = 1.0  # reached: 13 of 13 answerable seed questions (see README)
SEED_RECALL_AT_1 = 0.92


def test_seed_eval_holds_recall(tmp_path, embedding_cache):
    settings = Settings(index_dir=tmp_path / "index", embedding_cache=embedding_cache)
    parts = Components.load(settings, create=True)
    parts.ingestor().run([SEED_CORPUS])
    result = run_with_baseline(parts, [ROOT / "eval" / "seed.jsonl"], k=10)
    ours, base = result["ours"], result["baseline"]
    assert ours["n"] == 13
    assert ours["recall"]["5"] >= SEED_RECALL_AT_5, ours["misses"]
    assert ours["recall"]["1"] >= SEED_RECALL_AT_1, ours["misses"]
    assert ours["recall_800ch"] >= base["recall_800ch"]


def test_eval_cli_exit_code_gate(tmp_path, embedding_cache, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDING_CACHE", str(embedding_cache))
    index = tmp_path / "index"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(SEED_CORPUS), "--index-dir", str(index)]).exit_code == 0
    ok = runner.invoke(app, ["eval", "--questions", str(ROOT / "eval" / "seed.jsonl"), "--index-dir", str(index),
                             "--json", "--min-recall5", "0.5"])
    assert ok.exit_code == 0, ok.output
    assert '"recall_800ch"' in ok.output
    strict = runner.invoke(app, ["eval", "--questions", str(ROOT / "eval" / "seed.jsonl"), "--index-dir", str(index),
                                 "--min-recall5", "1.01"])
    assert strict.exit_code == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    broken = runner.invoke(app, ["eval", "--questions", str(bad), "--index-dir", str(index)])
    assert broken.exit_code == 1 and "格式有误" in broken.output
