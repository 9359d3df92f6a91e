"""Fit the learned outlook of the tolerance screening (assistant/resources/outlook-<embedder>.json) on the
written situations and the real published decisions, and print how it reads cases it was not fitted on:

    python -m bench fit-outlook --index-dir <index of ../shared/corpus> [--folds 5] [--write]

Every case is read as an unseen one (the clause reader fitted without the clauses of any training case's
report; the shipped reading settings). Printed: over grouped folds of all the cases (a report's cases on one
side) and leaving each file out in turn, the rule's outlook beside the learned one fitted without the cases
scored — accuracy, and how often 「信息不足」 is returned where the decisive facts are stated. `--write` then fits
on every case and writes the weights (the screening and `assistant eval-tolerance` read them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.model_selection import GroupKFold

from assistant.components import Components
from assistant.evaluation.outlook_fit import ROOT, TRAINING_FILES, TrainingCases
from assistant.evaluation.situations import load_situations
from assistant.evaluation.tolerance_folds import groups
from assistant.settings import load_settings
from assistant.tolerance.outlook_model import MIN_PROBABILITY, OUTLOOKS, RULE_AT, C, OutlookModel, resource_name

RESOURCES = Path(__file__).resolve().parents[1] / "assistant" / "resources"
INSUFFICIENT = "insufficient_information"


def _figures(y: list[str], predicted: list[str]) -> str:
    stated = [p for t, p in zip(y, predicted) if t != INSUFFICIENT]
    right = sum(t == p for t, p in zip(y, predicted))
    return (f"{right}/{len(y)} ({right / len(y):.3f})，信息不足 "
            f"{sum(p == INSUFFICIENT for p in stated)}/{len(stated)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="拟合容错初筛的结论模型，并在未参与拟合的情况上报告效果")
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds 至少为 2")
    parts = Components.load(load_settings(index_dir=args.index_dir))
    cases = TrainingCases(parts, [])
    x, y = cases.design(), [r["expected_outlook"] for r in cases.rows]
    rule = [OUTLOOKS[int(np.argmax(row[RULE_AT:RULE_AT + len(OUTLOOKS)]))] for row in x]
    embedder = parts.store.model

    def held_out(train: np.ndarray, test: np.ndarray) -> list[str]:
        model = OutlookModel.fit(x[train], [y[i] for i in train], embedder)
        return [model.choose(x[i]) for i in test]

    learned: list[str] = [""] * len(y)
    for train, test in GroupKFold(n_splits=args.folds).split(x, groups=groups(cases.rows)):
        for i, outlook in zip(test, held_out(train, test)):
            learned[i] = outlook
    table = Table("情况", "规则", "结论模型（未用这些情况拟合）", title="容错初筛结论：规则与结论模型")
    table.add_row(f"全部 {len(y)} 个（{args.folds} 折，按报道分组）", _figures(y, rule), _figures(y, learned))
    start = 0
    for name in TRAINING_FILES:
        n = len(load_situations(ROOT / name))
        test = np.arange(start, start + n)
        train = np.setdiff1d(np.arange(len(y)), test)
        table.add_row(f"{Path(name).name}（留出此集）", _figures([y[i] for i in test], [rule[i] for i in test]),
                      _figures([y[i] for i in test], held_out(train, test)))
        start += n
    Console(width=160).print(table)
    if args.write:
        model = OutlookModel.fit(x, y, embedder)
        out = RESOURCES / resource_name(embedder)
        out.write_text(json.dumps(model.to_json(c=C, fitted_on=list(TRAINING_FILES), cases=len(y)),
                                  ensure_ascii=False) + "\n", encoding="utf-8")
        Console().print(f"已写入 {out}（C {C}，至少 {MIN_PROBABILITY} 才改规则的结论）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
