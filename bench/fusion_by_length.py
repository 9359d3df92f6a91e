"""How BM25 should weigh in the fusion by question length, chosen leave-one-set-out
(assistant/retrieval/hybrid.py: RetrievalParams.short_bm25_weight, bm25_weight, short_question_chars).

    python -m bench fusion-by-length --index-dir <index of ../shared/corpus> \
        --questions ../shared/eval/dev.jsonl --questions ../shared/eval/real-dev.jsonl --questions … [--json]

Each set is searched with the question bank less its own questions and pages. For every held-out set, the
rule (a question of at most `cut` characters → weight a, longer → weight b; one weight for all among them) that
ranks the other sets best (R@1, then R@5) is chosen and scored on the held-out set; the sums of those held-out
figures are the rule's figures on questions it was not chosen on. The shipped rule's figures are printed beside.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assistant.components import Components
from assistant.evaluation.bank import leave_out
from assistant.evaluation.questions import load_questions
from assistant.evaluation.retrieval_eval import first_hit_rank
from assistant.retrieval.query import question_chars
from assistant.settings import load_settings

WEIGHTS = (0.75, 1.0, 1.5, 2.0, 3.0)
CUTS = (10, 14, 18, 24, 30, 36, 42, 50)


FIGURES = ("held_out", "shipped", "one_weight_1.5")


def _pair(figures: tuple[int, int]) -> str:
    return f"{figures[0]} / {figures[1]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="按问题长度选定 BM25 在融合中的权重（留一问题集）")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, action="append", required=True, help="可回答的问题集（可多个）")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    parts = Components.load(load_settings(index_dir=args.index_dir))
    retriever = parts.retriever()
    shipped = retriever.params
    everyone = {p.stem: load_questions([p]) for p in args.questions}  # each set's bank is the bank less all of these
    sets = {name: [q for q in questions if q.answerable and q.gold] for name, questions in everyone.items()}
    # the first-hit rank of every question under one BM25 weight for all, then the rules read these
    rank: dict[tuple[str, int, float], int] = {}
    for weight in WEIGHTS:
        retriever.params = dataclasses.replace(shipped, bm25_weight=weight, short_bm25_weight=weight)
        for name, questions in sets.items():
            leave_out(parts, everyone[name])
            for i, q in enumerate(questions):
                rank[(name, i, weight)] = first_hit_rank(q, [(h.chunk.text, "") for h in retriever.search(q.question, 10)])
    retriever.params = shipped

    def score(names: list[str], rule: tuple[int, float, float]) -> tuple[int, int]:
        cut, short, long = rule
        ranks = [rank[(n, i, short if question_chars(q.question) <= cut else long)]
                 for n in names for i, q in enumerate(sets[n])]
        return sum(r == 1 for r in ranks), sum(0 < r <= 5 for r in ranks)

    rules = [(0, w, w) for w in WEIGHTS] + [(c, a, b) for c in CUTS for a in WEIGHTS for b in WEIGHTS if a != b]
    ours = (shipped.short_question_chars, shipped.short_bm25_weight, shipped.bm25_weight)
    rows = []
    for held in sets:
        chosen = max(rules, key=lambda r: score([n for n in sets if n != held], r))
        rows.append({"set": held, "questions": len(sets[held]), "chosen": chosen, "held_out": score([held], chosen),
                     "shipped": score([held], ours), "one_weight_1.5": score([held], (0, 1.5, 1.5))})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    table = Table(title="BM25 权重按问题长度：留一问题集选定（R@1 / R@5）")
    for column in ("问题集", "题数", "其余各集选定（≤字数 → 权重，更长 → 权重）", "留出", "现行规则", "统一 1.5"):
        table.add_column(column)
    for r in rows:
        cut, a, b = r["chosen"]
        table.add_row(r["set"], str(r["questions"]), f"≤{cut} → {a}，更长 → {b}" if cut else f"统一 {a}",
                      *(_pair(r[key]) for key in FIGURES))
    totals = (tuple(sum(r[key][k] for r in rows) for k in (0, 1)) for key in FIGURES)
    table.add_row("合计", str(sum(r["questions"] for r in rows)), "", *(_pair(t) for t in totals))
    Console().print(table)
    return 0
