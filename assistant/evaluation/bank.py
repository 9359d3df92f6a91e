"""Question sets are scored with the question bank less their own questions (and every question asked on the
same pages): a set is never answered from its own rows, so its figures are held-out figures."""

from __future__ import annotations

from assistant.components import Components
from assistant.evaluation.questions import Question


def leave_out(parts: Components, questions: list[Question]) -> None:
    """Make `parts` search with the bundled bank less `questions` (nothing when the bank is off)."""
    bank = parts.question_bank()
    if bank is not None:
        parts.retriever().bank = bank.without([q.question for q in questions], [q.origin for q in questions])
