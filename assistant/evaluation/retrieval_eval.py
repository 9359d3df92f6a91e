"""Recall@k, recall within the first 800 characters, MRR, per-kind breakdown and misses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.evaluation.questions import Question
from assistant.grounding.text import squash

# a system under test: question → ranked passages (text, label shown for misses)
Searcher = Callable[[str, int], list[tuple[str, str]]]
KS = (1, 3, 5, 10)
CHAR_BUDGET = 800


@dataclass
class Scores:
    name: str
    n: int = 0
    recall: dict[int, float] = field(default_factory=dict)
    recall_800ch: float = 0.0
    mrr: float = 0.0
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    misses: list[dict] = field(default_factory=list)


def first_hit_rank(question: Question, passages: list[tuple[str, str]]) -> int:
    return next((r for r, (text, _) in enumerate(passages, 1) if question.hit(text)), 0)


def hit_within_chars(question: Question, passages: list[tuple[str, str]], budget: int = CHAR_BUDGET) -> bool:
    """Whether a gold string lies wholly inside the first `budget` characters of returned text."""
    left = budget
    for text, _ in passages:
        if left <= 0:
            return False
        if question.hit(squash(text)[:left]):
            return True
        left -= len(squash(text))
    return False


def evaluate(name: str, questions: list[Question], search: Searcher, k: int = 10) -> Scores:
    """Score the answerable questions of a set against a searcher."""
    scored = [q for q in questions if q.answerable and q.gold]
    scores = Scores(name=name, n=len(scored))
    if not scored:
        return scores
    ranks, within = {}, {}
    for q in scored:
        passages = search(q.question, max(k, max(KS)))
        ranks[q.id] = first_hit_rank(q, passages[:k])
        within[q.id] = hit_within_chars(q, passages)
        if not ranks[q.id] or ranks[q.id] > 5:
            scores.misses.append({"id": q.id, "question": q.question, "rank": ranks[q.id],
                                  "returned": [label for _, label in passages[:3]]})
    n = len(scored)
    scores.recall = {kk: sum(1 for r in ranks.values() if 0 < r <= kk) / n for kk in KS if kk <= max(k, 1)}
    scores.recall_800ch = sum(within.values()) / n
    scores.mrr = sum(1 / r for r in ranks.values() if r) / n
    groups: dict[str, list[Question]] = defaultdict(list)
    for q in scored:
        groups[q.kind or "-"].append(q)
    for kind, qs in sorted(groups.items()):
        scores.by_kind[kind] = {
            "n": len(qs),
            "recall@1": sum(1 for q in qs if ranks[q.id] == 1) / len(qs),
            "recall@5": sum(1 for q in qs if 0 < ranks[q.id] <= 5) / len(qs),
        }
    return scores
