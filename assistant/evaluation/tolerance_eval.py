"""The tolerance screening scored on a JSONL set of situations ({id, situation, expected_outlook, note};
real cases also carry `source`, `also_reported_at` and `derived_from`): outlook accuracy, per-class
confusion, precision and recall per outlook, how often insufficient_information is returned (overall and
for the situations whose decisive facts are stated), and the share of results whose reasoning cites the
三个区分开来 passage or a precedent case (by what the cited passage is, not by id).

A set drawn from real reports is never read with example clauses written from the same reports: the
clause reader is then fitted without them (`screener`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from assistant.components import Components
from assistant.errors import AssistantError
from assistant.grounding.text import marker_numbers
from assistant.tolerance.factors import FactorAnalyzer
from assistant.tolerance.lexicon import Negation
from assistant.tolerance.reader import ClauseReader, load_examples
from assistant.tolerance.rules import is_three_distinctions
from assistant.tolerance.service import ToleranceService
from assistant.tolerance.types import OUTLOOK_LABELS, ToleranceAssessment

OUTLOOKS = list(OUTLOOK_LABELS)


def load_situations(path: Path | Sequence[Path]) -> list[dict]:
    """The rows of a situations file (or of several, one after the other), checked."""
    if not isinstance(path, Path):
        rows = [row for one in path for row in load_situations(one)]
        ids = [r["id"] for r in rows if r.get("id")]
        if len(ids) != len(set(ids)):
            raise AssistantError("情况集之间有重复的 id：合为一集时每个情况的 id 应唯一")
        return rows
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise AssistantError(f"无法读取情况集 {path}：{err.strerror}") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise AssistantError(f"{path} 第 {number} 行不是合法的 JSON") from None
        if not isinstance(row, dict) or not row.get("situation") or row.get("expected_outlook") not in OUTLOOKS:
            raise AssistantError(f"{path} 第 {number} 行应有 situation 和 expected_outlook（{' / '.join(OUTLOOKS)}）")
        rows.append(row)
    return rows


def report_sources(rows: list[dict]) -> set[str]:
    """The URLs of the reports a set was drawn from (a case may be reported at several)."""
    return {u for r in rows for u in [r.get("source") or "", *(r.get("also_reported_at") or [])] if u}


def screener(parts: Components, rows: list[dict]) -> tuple[ToleranceService, int]:
    """The screening to score `rows` with, and how many example clauses were left out for it: the
    product's own when no clause comes from the set's reports, else one whose reader is fitted without them."""
    sources = report_sources(rows)
    left_out = sum(e.source in sources for e in load_examples())
    if not left_out:
        return parts.tolerance(), 0
    negation = Negation(base=parts.tokenizer.dictionary())
    analyzer = FactorAnalyzer(negation=negation, reader=ClauseReader(negation=negation, exclude_sources=sources))
    return ToleranceService(parts.retriever(), parts.chat_model, analyzer), left_out


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
