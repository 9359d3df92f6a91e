"""Runs the retrieval harness over the index the settings point at (for `assistant eval`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from assistant.components import Components
from assistant.evaluation.bank import leave_out
from assistant.evaluation.questions import load_questions
from assistant.evaluation.retrieval_eval import Scores, evaluate


def _label(hit) -> str:
    c = hit.chunk
    return f"{c.doc_id} {c.section}"


def run_eval(parts: Components, question_files: list[Path], k: int = 10) -> dict:
    """Our retriever on the given question sets: {"questions", "k", "ours": scores}."""
    questions = load_questions(question_files)
    leave_out(parts, questions)
    retriever = parts.retriever()
    ours = evaluate("ours", questions, lambda q, n: [(h.chunk.text, _label(h)) for h in retriever.search(q, k=n)], k)
    return {"questions": len(questions), "k": k, "ours": as_dict(ours)}


def as_dict(scores: Scores) -> dict:
    data = asdict(scores)
    data["recall"] = {str(kk): v for kk, v in scores.recall.items()}
    return data
