"""Scores answers, not just retrieval: does a passage the answer cites hold the gold, and does it refuse
exactly when the corpus has no answer?

- cited: a passage the answer points at with [n] contains a gold string (whitespace ignored);
- listed: any passage in `citations` contains it (what the reader can open);
- refused / wrongly refused: among unanswerable / answerable questions;
- superseded: answers that cite a superseded text while an in-force passage in the same answer says the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.components import Components
from assistant.evaluation.questions import Question, load_questions
from assistant.grounding.text import marker_numbers


@dataclass
class AnswerScores:
    answerable: int = 0
    unanswerable: int = 0
    cited: float = 0.0
    listed: float = 0.0
    refused_unanswerable: float = 0.0
    wrongly_refused: float = 0.0
    superseded_cited: list[str] = field(default_factory=list)
    misses: list[dict] = field(default_factory=list)
    confidences: dict[str, float] = field(default_factory=dict)


def marked(answer) -> list:
    """The citations the answer text points at."""
    numbers = set(marker_numbers(answer.answer))
    return [c for c in answer.citations if c.n in numbers]


def score_answers(questions: list[Question], ask) -> AnswerScores:
    """`ask(question) -> Answer` over the questions."""
    s = AnswerScores()
    cited = listed = refused_ok = refused_bad = 0
    for q in questions:
        answer = ask(q.question)
        s.confidences[q.id] = answer.confidence
        if not q.answerable:
            s.unanswerable += 1
            refused_ok += answer.refused
            if not answer.refused:
                s.misses.append({"id": q.id, "question": q.question, "why": "应拒答却作答"})
            continue
        s.answerable += 1
        refused_bad += answer.refused
        in_marked = any(q.hit(c.text) for c in marked(answer))
        cited += in_marked
        listed += any(q.hit(c.text) for c in answer.citations)
        if answer.refused or not in_marked:
            s.misses.append({"id": q.id, "question": q.question,
                             "why": "误拒答" if answer.refused else "引用的条文不含标准答案",
                             "cited": [f"{c.title} {c.article or c.section}" for c in marked(answer)]})
        in_force = [c for c in marked(answer) if c.status == "in_force"]
        if any(c.status == "superseded" and c.superseded_by in {i.doc_id for i in in_force} for c in marked(answer)):
            s.superseded_cited.append(q.id)
    s.cited = cited / s.answerable if s.answerable else 0.0
    s.listed = listed / s.answerable if s.answerable else 0.0
    s.refused_unanswerable = refused_ok / s.unanswerable if s.unanswerable else 0.0
    s.wrongly_refused = refused_bad / s.answerable if s.answerable else 0.0
    return s


def run_answer_eval(parts: Components, question_files: list[Path]) -> AnswerScores:
    """The chat answers (as /api/chat gives them) to the given question sets, scored."""
    return score_answers(load_questions(question_files), parts.chat().answer)
