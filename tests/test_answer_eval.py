"""The answer scores on hand-made answers: `complete` asks whether the answer's text says every gold string of one
document, where cited recall only asks whether a quoted passage holds any of them."""

from __future__ import annotations

from assistant.answer.types import Answer
from assistant.evaluation.answer_eval import score_answers
from assistant.evaluation.questions import Gold, Question
from assistant.grounding.passage import Passage

ART_5 = ("深化运用监督执纪“四种形态”，让“红红脸、出出汗”成为常态；党纪轻处分、组织调整成为违纪处理的大多数；"
         "党纪重处分、重大职务调整的成为少数；严重违纪涉嫌犯罪追究刑事责任的成为极少数。")
LIST = Question("q1", "四种形态是指哪四种？", gold=(
    Gold("jilv-2023.md", "让“红红脸、出出汗”成为常态"), Gold("jilv-2023.md", "党纪重处分、重大职务调整的成为少数"),
    Gold("jilv-2018.md", "党纪轻处分、组织调整成为违纪处理的大多数")))
SINGLE = Question("q2", "什么成为常态？", gold=(Gold("jilv-2023.md", "红红脸、出出汗"),))


def answer(text: str) -> Answer:
    passage = Passage(n=1, text=ART_5, doc_id="jilv-2023.md", title="条例", status="in_force")
    return Answer(answer=text, citations=[passage], refused=False, mode="extractive")


def test_complete_needs_every_gold_string_of_one_document_in_the_answer_text():
    first_only = {"四种形态是指哪四种？": answer("第五条：让“红红脸、出出汗”成为常态[1]。"),
                  "什么成为常态？": answer("第五条：让“红红脸、出出汗”成为常态[1]。")}
    scores = score_answers([LIST, SINGLE], first_only.get)
    assert scores.cited == 1.0 and scores.multipart == 1 and scores.complete == 0.0
    whole = {**first_only, "四种形态是指哪四种？": answer(
        "第五条：让“红红脸、出出汗” 成为常态[1]；党纪轻处分、组织调整成为违纪处理的大多数[1]；党纪重处分、重大职务调整的成为少数[1]。")}
    scores = score_answers([LIST, SINGLE], whole.get)
    assert scores.multipart == 1 and scores.complete == 1.0  # markers and spaces inside the text do not count
