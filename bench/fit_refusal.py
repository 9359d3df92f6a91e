"""Fit the refusal decision (assistant/resources/refusal-<embedder>.json): a logistic regression over the
question-level signals of assistant/retrieval/refusal.py, on answerable questions and near-domain ones the
corpus has no rule on; the threshold is chosen on out-of-fold predictions of the cross-validation file.

    python -m bench fit-refusal --index-dir <index of ../shared/corpus> \
        --train ../shared/eval/dev.jsonl --cv ../shared/eval/real-dev.jsonl \
        --heldout eval/shared-heldout.jsonl --heldout eval/real-heldout.jsonl [--max-false 0.03] [--write]

Prints the precision/recall curve of refusing on the out-of-fold predictions, the chosen threshold, and what
that threshold does on every file (held-out files never take part in fitting or choosing).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from assistant.components import Components
from assistant.evaluation.bank import leave_out
from assistant.evaluation.questions import load_questions
from assistant.grounding.in_force import prefer_in_force
from assistant.retrieval.refusal import SIGNALS, resource_name, signals
from assistant.settings import load_settings

RESOURCES = Path(__file__).resolve().parents[1] / "assistant" / "resources"
C = 0.3  # L2 strength: eight signals, a few hundred questions


def rows(parts: Components, paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """Signals (as the answerer computes them) and 1 for questions the corpus cannot answer; each file's
    questions searched with the question bank less that file's own (so the bank's signal is a held-out one)."""
    if len(paths) > 1:
        parts_xy = [rows(parts, [p]) for p in paths]
        return np.vstack([x for x, _ in parts_xy]), np.concatenate([y for _, y in parts_xy])
    questions = load_questions(paths)
    leave_out(parts, questions)
    answerer = parts.answerer()
    x, y = [], []
    for q in questions:
        found = parts.retriever().retrieve(q.question, k=answerer.top_k + 2)
        hits = prefer_in_force(found.hits)[:answerer.top_k]
        values = signals(found, hits, answerer._catalog()[1])
        x.append([0.0 if values[name] is None else values[name] for name in SIGNALS])
        y.append(0 if q.answerable else 1)
    return np.array(x), np.array(y)


def fit(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(scaler.transform(x), y)
    return scaler, model


def confidence(scaler, model, x: np.ndarray) -> np.ndarray:
    return 1.0 - model.predict_proba(scaler.transform(x))[:, 1]


def out_of_fold(x: np.ndarray, y: np.ndarray, train_x: np.ndarray, train_y: np.ndarray, folds: int) -> np.ndarray:
    order = list(range(len(y)))
    random.Random(0).shuffle(order)
    conf = np.zeros(len(y))
    for f in range(folds):
        test = order[f::folds]
        keep = np.setdiff1d(np.arange(len(y)), test)
        scaler, model = fit(np.vstack([train_x, x[keep]]), np.r_[train_y, y[keep]])
        conf[test] = confidence(scaler, model, x[test])
    return conf


def choose(conf: np.ndarray, y: np.ndarray, max_false: float) -> float:
    """The highest threshold whose false refusals (answerable questions refused) stay within max_false."""
    best = 0.0
    for t in np.unique(np.round(conf, 4)):
        if np.mean(conf[y == 0] < t) <= max_false:
            best = max(best, float(t))
    return best


def outcome(conf: np.ndarray, y: np.ndarray, threshold: float) -> tuple[str, str]:
    """(unanswerable refused, answerable wrongly refused), each as 「n/total (share)」, or 「—」 for a file
    holding none of that kind."""
    refused = conf < threshold
    return _share(refused[y == 1], 2), _share(refused[y == 0], 3)


def _share(refused: np.ndarray, digits: int) -> str:
    return f"{refused.sum()}/{len(refused)} ({refused.mean():.{digits}f})" if len(refused) else "—"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="拟合拒答判断，并在未参与拟合的问题上报告效果")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--train", type=Path, action="append", required=True)
    parser.add_argument("--cv", type=Path, action="append", required=True,
                        help="交叉验证的问题集（可多个）：阈值按其折外预测选定")
    parser.add_argument("--heldout", type=Path, action="append", default=[])
    parser.add_argument("--folds", type=int, default=5)
    # held-out false refusals ran about three times the out-of-fold rate (new wording lowers every cosine):
    # choose on the out-of-fold predictions with room to spare
    parser.add_argument("--max-false", type=float, default=0.03, help="折外预测中可接受的误拒答比例")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    console = Console(width=160)
    parts = Components.load(load_settings(index_dir=args.index_dir))
    train_x, train_y = rows(parts, args.train)
    cv_x, cv_y = rows(parts, args.cv)
    oof = out_of_fold(cv_x, cv_y, train_x, train_y, args.folds)
    threshold = choose(oof, cv_y, args.max_false)

    curve = Table("阈值", "拒答的精确率", "不可回答的拒答率（召回）", "误拒答率", title=f"{' + '.join(p.name for p in args.cv)} 折外预测的拒答曲线")
    for t in sorted({round(float(q), 3) for q in np.quantile(oof, np.linspace(0.05, 0.6, 12))} | {round(threshold, 3)}):
        refused = oof < t
        precision = (cv_y[refused] == 1).mean() if refused.any() else 1.0
        mark = "  ← 选用" if abs(t - round(threshold, 3)) < 1e-9 else ""
        curve.add_row(f"{t:.3f}{mark}", f"{precision:.2f}", f"{refused[cv_y == 1].mean():.2f}",
                      f"{refused[cv_y == 0].mean():.3f}")
    console.print(curve)

    scaler, model = fit(np.vstack([train_x, cv_x]), np.r_[train_y, cv_y])
    table = Table("问题集", "不可回答被拒答", "可回答被误拒答", title=f"阈值 {threshold:.3f}")
    start = 0
    for path in args.cv:  # each cross-validation file's out-of-fold outcome
        n = len(load_questions([path]))
        table.add_row(f"{path.name}（{args.folds} 折，折外）", *outcome(oof[start:start + n], cv_y[start:start + n], threshold))
        start += n
    for path in args.heldout:
        x, y = rows(parts, [path])
        table.add_row(f"{path.name}（未参与拟合）", *outcome(confidence(scaler, model, x), y, threshold))
    table.add_row(" + ".join(p.name for p in args.train) + "（参与拟合）",
                  *outcome(confidence(scaler, model, train_x), train_y, threshold))
    console.print(table)
    weights = dict(zip(SIGNALS, model.coef_[0]))
    console.print("权重（标准化后，正值偏向拒答）：" + "，".join(f"{k} {v:+.2f}" for k, v in weights.items()))
    if args.write:
        embedder = parts.store.model
        out = RESOURCES / resource_name(embedder)
        out.write_text(json.dumps({
            "embedder": embedder, "bias": round(float(model.intercept_[0]), 5), "threshold": round(threshold, 4),
            "signals": {name: {"mean": round(float(m), 5), "scale": round(float(s), 5), "weight": round(float(w), 5)}
                        for name, m, s, w in zip(SIGNALS, scaler.mean_, scaler.scale_, model.coef_[0])},
            "fitted_on": [p.name for p in args.train + args.cv], "max_false_refusals": args.max_false,
        }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        console.print(f"已写入 {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
