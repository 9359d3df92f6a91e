"""Questions in traditional characters are read in simplified ones; simplified text is left exactly as it is."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.grounding.script import simplified

EVAL = Path(__file__).resolve().parents[1] / "eval"


def test_traditional_characters_are_read_as_simplified():
    assert simplified("誰來監督監察委員會?") == "谁来监督监察委员会?"
    assert simplified("公務員的回避申請由本人提出嗎") == "公务员的回避申请由本人提出吗"
    assert simplified("") == ""


def test_simplified_questions_are_left_as_they_are():
    """Every situation of the written tolerance sets, and every question of a collected set not typed in
    traditional characters: unchanged, character for character (干部, 党组, 著作 … are not touched)."""
    texts = [json.loads(line)["situation"] for name in ("tolerance.jsonl", "tolerance-heldout.jsonl")
             for line in (EVAL / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += [json.loads(line)["question"] for line in (EVAL / "shared-heldout.jsonl").read_text(encoding="utf-8")
              .splitlines() if line.strip()]
    assert len(texts) > 60
    assert [t for t in texts if simplified(t) != t] == []
