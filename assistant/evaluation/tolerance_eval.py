"""The tolerance screening scored on a JSONL set of situations ({id, situation, expected_outlook, note};
real cases also carry `source`, `also_reported_at` and `derived_from`): outlook accuracy, per-class
confusion, precision and recall per outlook, how often insufficient_information is returned (overall and
for the situations whose decisive facts are stated), and the share of results whose reasoning cites the
三个区分开来 passage or a precedent case (by what the cited passage is, not by id).

Nothing the screening learned from a set scores it: a set drawn from real reports is read with a clause reader
fitted without the clauses written from them, and the learned outlook is refitted without the set's cases
(`screener`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant.components import Components
from assistant.evaluation.outlook_fit import TrainingCases, trains_on
from assistant.evaluation.situations import OUTLOOKS, analyzer_without, clauses_from, load_situations
from assistant.grounding.text import marker_numbers
from assistant.tolerance.outlook_model import OutlookModel
from assistant.tolerance.rules import is_three_distinctions
from assistant.tolerance.service import ToleranceService
from assistant.tolerance.types import ToleranceAssessment


def screener(parts: Components, rows: list[dict]) -> tuple[ToleranceService, int]:
    """The screening to score `rows` with, and how many example clauses were left out for it: the product's
    own when nothing of it was fitted on the set, else one whose clause reader is fitted without the clauses of
    the set's reports and whose learned outlook is refitted without the set's cases (outlook_fit.TrainingCases)."""
    left_out, overlap = clauses_from(rows), trains_on(rows)
    if not left_out and not overlap:
        return parts.tolerance(), 0
    model = OutlookModel.load(parts.store.model)  # None for an embedder without one: the rule alone
    if model is not None and overlap:
        model = TrainingCases(parts, rows).fit()
    return ToleranceService(parts.retriever(), parts.chat_model, analyzer_without(parts, rows), model), left_out


def cites_key_passage(result: ToleranceAssessment) -> bool:
    """Does the reasoning cite the 三个区分开来 passage or a precedent case?"""
    for n in set(marker_numbers(result.reasoning)):
        if 1 <= n <= len(result.citations):
            c = result.citations[n - 1]
            if is_three_distinctions(c.text) or c.kind == "case":
                return True
    return False


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def score(rows: list[dict], results: list[ToleranceAssessment]) -> dict:
    """Accuracy, confusion (expected → predicted → count), precision and recall per outlook, the rates of
    insufficient_information, and the key-citation share."""
    confusion = {e: {p: 0 for p in OUTLOOKS} for e in OUTLOOKS}
    items = []
    for row, result in zip(rows, results):
        confusion[row["expected_outlook"]][result.outlook] += 1
        items.append({"id": row.get("id", ""), "expected": row["expected_outlook"], "predicted": result.outlook,
                      "cites_key": cites_key_passage(result),
                      "factors": {f.factor: f.verdict for f in result.factors}})
    total = len(items)
    per_outlook = {}
    for o in OUTLOOKS:
        predicted = sum(confusion[e][o] for e in OUTLOOKS)
        expected = sum(confusion[o].values())
        per_outlook[o] = {"expected": expected, "returned": predicted,
                          "precision": _share(confusion[o][o], predicted), "recall": _share(confusion[o][o], expected)}
    stated = [i for i in items if i["expected"] != "insufficient_information"]
    insufficient = "insufficient_information"
    return {
        "situations": total,
        "accuracy": _share(sum(i["expected"] == i["predicted"] for i in items), total) or 0.0,
        "confusion": confusion,
        "per_outlook": per_outlook,
        "insufficient_rate": _share(sum(i["predicted"] == insufficient for i in items), total),
        "insufficient_when_stated": _share(sum(i["predicted"] == insufficient for i in stated), len(stated)),
        "insufficient_recall": per_outlook[insufficient]["recall"],
        "key_citation_share": _share(sum(i["cites_key"] for i in items), total) or 0.0,
        "items": items,
    }


def run_tolerance_eval(parts: Components, path: Path | Sequence[Path]) -> dict:
    """Screen every situation of the file (or files) and score the outlooks."""
    rows = load_situations(path)
    service, left_out = screener(parts, rows)
    result = score(rows, [service.assess(r["situation"]) for r in rows])
    result["clauses_left_out"] = left_out
    return result
