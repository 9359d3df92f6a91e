"""`python -m bench fusion-by-length`: BM25's weight by question length, chosen leave-one-set-out, and a clear
error instead of a traceback for a missing index or question file (bench/__main__.py)."""

from __future__ import annotations

import json

import pytest

from bench.__main__ import main
from tests.conftest import ROOT


def test_a_missing_question_file_or_index_is_a_message(tmp_path, capsys):
    assert main(["fusion-by-length", "--index-dir", str(tmp_path / "none"),
                 "--questions", str(ROOT / "eval" / "public-qa-3.jsonl")]) == 1
    assert "错误：索引不存在" in capsys.readouterr().err
    assert main(["fit-refusal", "--index-dir", str(tmp_path), "--train", str(tmp_path / "nope.jsonl"),
                 "--cv", str(tmp_path / "nope.jsonl")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.shared
def test_each_set_is_scored_with_the_rule_chosen_on_the_others(shared_index, shared_dir, capsys, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDING_CACHE", str(shared_index.embedding_cache))
    files = [shared_dir / "eval" / "dev.jsonl", ROOT / "eval" / "public-qa-2.jsonl", ROOT / "eval" / "real-heldout.jsonl"]
    args = ["fusion-by-length", "--index-dir", str(shared_index.index_dir), "--json"]
    assert main(args + [a for f in files for a in ("--questions", str(f))]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["set"] for r in rows] == ["dev", "public-qa-2", "real-heldout"]
    for r in rows:
        cut, short, long = r["chosen"]
        assert 0 <= r["held_out"][0] <= r["held_out"][1] <= r["questions"]
        assert (cut == 0) == (short == long)  # one weight for all, or a cut between two weights
    # the shipped rule on dev (bank less dev's own questions): what test_eval_shared gates, R@1 ≥ 0.85
    assert rows[0]["shipped"][0] >= 34
