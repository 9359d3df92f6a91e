"""Scores answers, not just retrieval: does a passage the answer cites hold the gold, and does it refuse
exactly when the corpus has no answer?

- cited: a passage the answer points at with [n] contains a gold string (whitespace ignored);
- listed: any passage in `citations` contains it (what the reader can open);
- refused / wrongly refused: among unanswerable / answerable questions;
- superseded: answers that cite a superseded text while an in-force passage in the same answer says the same;
- complete: of the questions whose gold names two or more strings of one document (a question with parts, or a
  list the answer should give whole), the share whose answer text itself says every string of one such document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.components import Components
from assistant.evaluation.bank import leave_out
from assistant.evaluation.questions import Question, load_questions
from assistant.grounding.text import MARKER, marker_numbers, squash


@dataclass
class AnswerScores:
    answerable: int = 0
    unanswerable: int = 0
    cited: float = 0.0  # answer-cited recall: a quoted passage holds the gold (a refusal quotes none)
    precision: float = 0.0  # of the passages the answers quote, the share that hold the gold
    first_quoted: float = 0.0  # the first passage the answer quotes holds the gold
    quoted_per_answer: float = 0.0
    listed: float = 0.0
    complete: float = 0.0  # see the module's docstring
    multipart: int = 0  # the questions `complete` is counted over
    refused_unanswerable: float = 0.0
    wrongly_refused: float = 0.0
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    superseded_cited: list[str] = field(default_factory=list)
    misses: list[dict] = field(default_factory=list)
    confidences: dict[str, float] = field(default_factory=dict)


@dataclass
class _Outcome:
    kind: str
    answerable: bool
    refused: bool
    quoted: int = 0
    holding: int = 0  # quoted passages that hold the gold
    first: bool = False
    listed: bool = False
    multipart: bool = False
    complete: bool = False


def marked(answer) -> list:
    """The citations the answer text points at, in the order it first points at them."""
    by_n = {c.n: c for c in answer.citations}
    return [by_n[n] for n in dict.fromkeys(marker_numbers(answer.answer)) if n in by_n]


def _parts(question: Question) -> list[list[str]]:
    """The gold strings grouped by document, for the documents that name two or more."""
    by_source: dict[str, list[str]] = {}
    for g in question.gold:
        by_source.setdefault(g.source, []).append(squash(g.contains))
    return [strings for strings in by_source.values() if len(set(strings)) > 1]


def _says_all(answer_text: str, parts: list[list[str]]) -> bool:
    flat = squash(MARKER.sub("", answer_text))
    return any(all(s in flat for s in strings) for strings in parts)


def score_answers(questions: list[Question], ask) -> AnswerScores:
    """`ask(question) -> Answer` over the questions."""
    s = AnswerScores()
    outcomes = []
    for q in questions:
        answer = ask(q.question)
        s.confidences[q.id] = answer.confidence
        quoted = marked(answer)
        o = _Outcome(q.kind or "-", q.answerable, answer.refused)
        if q.answerable:
            hits = [q.hit(c.text) for c in quoted]
            o.quoted, o.holding, o.first = len(quoted), sum(hits), bool(hits and hits[0])
            o.listed = any(q.hit(c.text) for c in answer.citations)
            parts = _parts(q)
            o.multipart = bool(parts)
            o.complete = o.multipart and not answer.refused and _says_all(answer.answer, parts)
            if answer.refused or not any(hits):
                s.misses.append({"id": q.id, "question": q.question,
                                 "why": "误拒答" if answer.refused else "引用的条文不含标准答案",
                                 "cited": [f"{c.title} {c.article or c.section}" for c in quoted]})
            in_force = {c.doc_id for c in quoted if c.status == "in_force"}
            if any(c.status == "superseded" and c.superseded_by in in_force for c in quoted):
                s.superseded_cited.append(q.id)
        elif not answer.refused:
            s.misses.append({"id": q.id, "question": q.question, "why": "应拒答却作答"})
        outcomes.append(o)
    figures = _figures(outcomes)
    for name in ("answerable", "unanswerable", "multipart"):
        setattr(s, name, int(figures[name]))
    for name in ("cited", "precision", "first_quoted", "quoted_per_answer", "listed", "complete",
                 "refused_unanswerable", "wrongly_refused"):
        setattr(s, name, figures[name])
    s.by_kind = {kind: _figures([o for o in outcomes if o.kind == kind])
                 for kind in sorted({o.kind for o in outcomes})}
    return s


def _figures(outcomes: list[_Outcome]) -> dict[str, float]:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    answered = [o for o in answerable if not o.refused]
    multipart = [o for o in answerable if o.multipart]
    quoted = sum(o.quoted for o in answered)

    def share(items, test) -> float:
        return sum(1 for o in items if test(o)) / len(items) if items else 0.0

    return {"answerable": len(answerable), "unanswerable": len(unanswerable), "multipart": len(multipart),
            "cited": share(answerable, lambda o: not o.refused and o.holding > 0),
            "precision": sum(o.holding for o in answered) / quoted if quoted else 0.0,
            "first_quoted": share(answerable, lambda o: not o.refused and o.first),
            "quoted_per_answer": quoted / len(answered) if answered else 0.0,
            "listed": share(answerable, lambda o: o.listed),
            "complete": share(multipart, lambda o: o.complete),
            "refused_unanswerable": share(unanswerable, lambda o: o.refused),
            "wrongly_refused": share(answerable, lambda o: o.refused)}


def run_answer_eval(parts: Components, question_files: list[Path]) -> AnswerScores:
    """The chat answers (as /api/chat gives them) to the given question sets, scored."""
    questions = load_questions(question_files)
    leave_out(parts, questions)
    return score_answers(questions, parts.chat().answer)
