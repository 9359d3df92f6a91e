"""How a typed question is read: traditional characters as simplified ones, courtesy clauses left out; simplified text
without courtesy left exactly as it is."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.grounding.question_text import read_question, simplified, without_courtesy

EVAL = Path(__file__).resolve().parents[1] / "eval"


def test_traditional_characters_are_read_as_simplified():
    assert simplified("誰來監督監察委員會?") == "谁来监督监察委员会?"
    assert simplified("公務員的回避申請由本人提出嗎") == "公务员的回避申请由本人提出吗"
    assert simplified("") == ""


def test_courtesy_clauses_are_left_out_and_nothing_else():
    assert without_courtesy("您好，请问一下，受到严重警告处分多久不能提拔？谢谢！") == "受到严重警告处分多久不能提拔？"
    assert without_courtesy("领导您好！我是乡镇干部，想咨询一个问题：补贴怎么发？麻烦解答一下，非常感谢。") == \
        "我是乡镇干部，补贴怎么发？"
    assert without_courtesy("请问公务员病假工资怎么发") == "请问公务员病假工资怎么发"  # a clause with more in it stays whole
    assert without_courtesy("你好，谢谢") == "你好，谢谢"  # nothing would be left
    assert read_question("您好！黨員賭博怎麼處分？謝謝") == "党员赌博怎么处分？"
    assert without_courtesy("您好请问公务员病假工资怎么发谢谢！") == "请问公务员病假工资怎么发"
    assert without_courtesy("公务员病假工资怎么发谢谢谢谢谢谢谢谢谢谢谢谢谢谢") == "公务员病假工资怎么发"
    assert without_courtesy("谢谢" * 1000 + "？") == "谢谢" * 1000 + "？"  # long and hostile: quick, and kept


def test_collected_questions_are_left_as_they_are():
    """Every situation of the written tolerance sets and every question of a written set: unchanged, character for
    character (干部, 党组, 著作 … are not touched)."""
    texts = [json.loads(line)["situation"] for name in ("tolerance.jsonl", "tolerance-heldout.jsonl")
             for line in (EVAL / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += [json.loads(line)["question"] for line in (EVAL / "shared-heldout.jsonl").read_text(encoding="utf-8")
              .splitlines() if line.strip()]
    assert len(texts) > 60
    assert [t for t in texts if read_question(t) != t] == []
