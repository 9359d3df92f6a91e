"""The tolerance screening judged on held-out folds of a real-case set (`assistant eval-tolerance --folds K`).

Folds are grouped by report (`source`), so a case, the same case retold with its decisive facts removed
(`derived_from`) and other cases of the same report always sit on the same side. The clause reader is fitted on
the labelled clauses, never on the set, and without the clauses written from the set's reports
(tolerance_eval.screener); the lexicon and the outlook rule are fixed. What is fitted on the set:
- where the embedder has a learned outlook (tolerance/outlook_model.py), that outlook, refitted for each fold on
  the other folds' cases and on its training cases outside the set (outlook_fit.py), the fold read with the
  product's settings;
- otherwise how the cue lexicon and the clause reader are combined (`combine`), how likely a reading must be to
  count (`threshold`) and how likely one that decides alone must be (`decisive_threshold`): on each fold the
  setting that screens the other folds best is chosen and the fold is screened with it.
Beside the held-out figures: the whole set screened as the product is shipped ("dev"; its learned outlook's
training cases include the set).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import GroupKFold

from assistant.components import Components
from assistant.evaluation.outlook_fit import TrainingCases, designs
from assistant.evaluation.situations import load_situations
from assistant.evaluation.tolerance_eval import score, screener
from assistant.tolerance.factors import (
    COMBINE,
    DECISIVE_THRESHOLD,
    THRESHOLD,
    FactorAnalyzer,
    Match,
    combine_findings,
    counts,
)
from assistant.tolerance.outlook import judge
from assistant.tolerance.outlook_model import OutlookModel
from assistant.tolerance.service import ToleranceService
from assistant.tolerance.types import ToleranceAssessment

THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)
# Not below 0.4 (it was 0 — a decisive reading counting at `threshold` — until stop 26): on the 95 decisions the
# folds chose 0 in four of five, and it reads more punished cases right, half of them for a wrong reason (「新冠
# 疫情防控期间」 read at 0.35 as a ban ignored), and turns a plainly tolerable story down (「…简化了审批流程，我没有拿
# 任何好处，方案经过党委会研究」: 「简化了审批流程」 read at 0.26 as fabrication). The product never ships it, so the
# folds choose only among settings it could ship (docs/benchmarks.md).
DECISIVE_THRESHOLDS = (0.4, 0.5, 0.6)
GRID = [("cues", 1.0, 1.0)] + [(c, t, d) for c in ("cues_first", "merged", "reader") for t in THRESHOLDS
                               for d in sorted({max(d, t) for d in DECISIVE_THRESHOLDS})]
SETTING = ("combine", "threshold", "decisive_threshold")
SHIPPED = (COMBINE, THRESHOLD, DECISIVE_THRESHOLD)  # the reading settings the product ships


def groups(rows: list[dict]) -> list[str]:
    """The report each row comes from (its own id when it names none)."""
    by_id = {r.get("id"): r for r in rows}
    out = []
    for r in rows:
        parent = by_id.get(r.get("derived_from"), r)
        out.append(parent.get("source") or r.get("source") or r.get("id") or r["situation"])
    return out


class Readings:
    """Each situation's cue matches and readings, taken once; outlooks for any setting of the GRID."""

    def __init__(self, analyzer: FactorAnalyzer, rows: list[dict]):
        self.expected = [r["expected_outlook"] for r in rows]
        self.cues = [analyzer.matches(r["situation"]) for r in rows]
        self.read = [analyzer.readings(r["situation"], min(THRESHOLDS), 0.0) for r in rows]

    def outlook(self, i: int, combine: str, threshold: float, decisive_threshold: float) -> str:
        read: list[Match] = [m for m in self.read[i] if counts(m, threshold, decisive_threshold)]
        return judge(combine_findings(self.cues[i], read, combine))

    def accuracy(self, indices: list[int], *setting) -> float:
        return sum(self.outlook(i, *setting) == self.expected[i] for i in indices) / len(indices)

    def best(self, indices: list[int]) -> tuple[str, float, float]:
        """The setting that screens `indices` best (the first of the grid among equals)."""
        return max(GRID, key=lambda p: self.accuracy(indices, *p))


@dataclass
class FoldRun:
    """The set screened on held-out folds: each situation's assessment by the fold that held it out, and what the
    folds shared (the screener without the set's clauses, the readings taken once, each fold's choice)."""

    rows: list[dict]
    service: ToleranceService
    clauses_left_out: int
    readings: Readings
    results: list[ToleranceAssessment]
    folds: list[dict]
    shipped_model: OutlookModel | None


def screen_folds(parts: Components, rows: list[dict], k: int = 5) -> FoldRun:
    """Each situation screened by a fold that did not see its report (see the module docstring)."""
    service, left_out = screener(parts, rows)
    readings = Readings(service.analyzer, rows)
    shipped_model = OutlookModel.load(parts.store.model)
    training = TrainingCases(parts, rows) if shipped_model is not None else None
    # the set's own cases as the learned outlook reads them (the product's settings)
    own = designs(parts, training.analyzer, rows) if training is not None else None
    results: list = [None] * len(rows)
    folds = []
    for train, test in GroupKFold(n_splits=k).split(rows, groups=groups(rows)):
        # with a learned outlook the product's reading settings: the outlook is what is fitted, on readings made
        # with them (choosing the reading for the rule alone chose 0.25, which leaves the learned outlook less to do)
        key = SHIPPED if training is not None else readings.best(list(train))
        setting = dict(zip(SETTING, key))
        model = None if training is None else training.fit(own[train], [rows[i]["expected_outlook"] for i in train])
        fold = ToleranceService(parts.retriever(), service.llm_model, service.analyzer.variant(**setting), model)
        for i in test:
            results[i] = fold.assess(rows[i]["situation"])
        folds.append({"test": [rows[i].get("id", "") for i in test], **setting,
                      "train_accuracy": round(readings.accuracy(list(train), *key), 4)})
    return FoldRun(rows, service, left_out, readings, results, folds, shipped_model)


def run_tolerance_folds(parts: Components, path: Path | Sequence[Path], k: int = 5) -> dict:
    """Held-out figures over k grouped folds, the whole set as shipped beside them, and each fold's choice."""
    rows = load_situations(path)
    run = screen_folds(parts, rows, k)
    as_shipped = ToleranceService(parts.retriever(), run.service.llm_model, run.service.analyzer, run.shipped_model)
    shipped = [as_shipped.assess(r["situation"]) for r in rows]
    return {"k": k, "clauses_left_out": run.clauses_left_out, "folds": run.folds, "heldout": score(rows, run.results),
            "dev": score(rows, shipped), "learned_outlook": run.shipped_model is not None,
            "shipped": dict(zip(SETTING, SHIPPED)),
            "best_on_all": dict(zip(SETTING, run.readings.best(list(range(len(rows))))))}
