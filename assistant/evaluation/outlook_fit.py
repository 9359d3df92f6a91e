"""The cases the learned outlook (tolerance/outlook_model.py) is fitted on, and its fit: shared by `python -m bench
fit-outlook`, which writes the shipped weights, and the tolerance evaluation, which refits it without the cases
it scores (a case, its retellings with the decisive facts removed and the other cases of its report never sit on
both sides).

A training case is read as an unseen one would be: by a clause reader fitted without the clauses written from the
reports of any training case (resources/tolerance_clauses.jsonl holds clauses from many of them), so the model
learns how much to trust readings of the quality a new situation gets.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.components import Components
from assistant.errors import AssistantError
from assistant.evaluation.situations import analyzer_without, load_situations, report_sources
from assistant.tolerance.factors import FactorAnalyzer
from assistant.tolerance.outlook import judge
from assistant.tolerance.outlook_model import OutlookModel, design
from assistant.tolerance.service import check_situation

ROOT = Path(__file__).resolve().parents[2]
# the written situations and every real-decision set: what the shipped weights are fitted on
TRAINING_FILES = ("eval/tolerance.jsonl", "eval/tolerance-heldout.jsonl", "eval/tolerance-real-dev.jsonl",
                  "eval/tolerance-real-heldout.jsonl", "eval/tolerance-real-blind.jsonl",
                  "eval/tolerance-real-heldout-2.jsonl", "eval/tolerance-real-heldout-3.jsonl",
                  "eval/tolerance-real-heldout-4.jsonl", "eval/tolerance-real-heldout-5.jsonl",
                  "eval/tolerance-real-heldout-6.jsonl")


def training_rows(files: Sequence[str] = TRAINING_FILES) -> list[dict]:
    """The training cases (the files are the project's own eval/ sets: an installed copy without them cannot
    refit, and says so)."""
    missing = [f for f in files if not (ROOT / f).is_file()]
    if missing:
        raise AssistantError(f"找不到结论模型的训练集：{'、'.join(missing)}（需在项目目录中运行）")
    return load_situations([ROOT / f for f in files])


def _cases(rows: Sequence[dict]) -> tuple[set[str], set[str]]:
    """The ids and the report URLs of `rows`."""
    return {r["id"] for r in rows if r.get("id")}, report_sources(rows)


def shares_case(row: dict, cases: tuple[set[str], set[str]]) -> bool:
    """Does `row` share an id, a report or a retold original with the rows whose `_cases` these are?"""
    ids, sources = cases
    return bool({row.get("id"), row.get("derived_from")} & ids or report_sources([row]) & sources)


def designs(parts: Components, analyzer: FactorAnalyzer, rows: Sequence[dict]) -> np.ndarray:
    """Each row's input to the model, as the screening computes it (check_situation, findings, the rule's
    outlook, the situation's query vector)."""
    out = []
    for row in rows:
        situation = check_situation(row["situation"])
        findings = analyzer.findings(situation)
        out.append(design(findings, judge(findings), parts.embeddings.embed_query(situation)))
    return np.vstack(out) if out else np.zeros((0, 0))


class TrainingCases:
    """The training cases less those sharing a case with the rows scored, read with the product's settings (the
    learned outlook is fitted on readings made with them)."""

    def __init__(self, parts: Components, scored: Sequence[dict], files: Sequence[str] = TRAINING_FILES):
        self.parts = parts
        cases = _cases(scored)
        self.rows = [r for r in training_rows(files) if not shares_case(r, cases)]
        self.analyzer = analyzer_without(parts, [*self.rows, *scored])
        self._design: np.ndarray | None = None

    def design(self) -> np.ndarray:
        if self._design is None:
            self._design = designs(self.parts, self.analyzer, self.rows)
        return self._design

    def fit(self, extra_x: np.ndarray | None = None, extra_y: Sequence[str] = ()) -> OutlookModel:
        """The model on these cases and on `extra` rows already designed (a fold's own training cases)."""
        x, y = self.design(), [r["expected_outlook"] for r in self.rows]
        if extra_x is not None and len(extra_x):
            x, y = (np.vstack([x, extra_x]) if len(x) else extra_x), [*y, *extra_y]
        return OutlookModel.fit(x, y, self.parts.store.model)


def trains_on(scored: Sequence[dict]) -> bool:
    """Was the shipped learned outlook fitted on any case of `scored`? (Not knowable without the training files:
    an installed copy scoring its own set then uses the weights as shipped.)"""
    cases = _cases(scored)
    try:
        return any(shares_case(r, cases) for r in training_rows())
    except AssistantError:
        return False
