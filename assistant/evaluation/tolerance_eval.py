"""The tolerance screening scored on a JSONL set of situations ({id, situation, expected_outlook, note}):
outlook accuracy, per-class confusion, recall of insufficient_information, and the share of outlooks
whose reasoning cites the 三个区分开来 passage or the 林某 case (by what the cited passage says, not by id).
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.components import Components
from assistant.errors import AssistantError
from assistant.grounding.text import marker_numbers
from assistant.tolerance.rules import is_three_distinctions
from assistant.tolerance.types import OUTLOOK_LABELS, ToleranceAssessment

OUTLOOKS = list(OUTLOOK_LABELS)


def load_situations(path: Path) -> list[dict]:
    """The rows of a situations file, checked."""
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


def cites_key_passage(result: ToleranceAssessment) -> bool:
    """Does the reasoning cite the 三个区分开来 passage or the 林某 case?"""
    for n in set(marker_numbers(result.reasoning)):
        if 1 <= n <= len(result.citations):
            c = result.citations[n - 1]
            if is_three_distinctions(c.text) or "林某" in c.title:
                return True
    return False


def score(rows: list[dict], results: list[ToleranceAssessment]) -> dict:
    """Accuracy, confusion (expected → predicted → count), insufficient recall, key-citation share."""
    confusion = {e: {p: 0 for p in OUTLOOKS} for e in OUTLOOKS}
    items = []
    for row, result in zip(rows, results):
        confusion[row["expected_outlook"]][result.outlook] += 1
        items.append({"id": row.get("id", ""), "expected": row["expected_outlook"], "predicted": result.outlook,
                      "cites_key": cites_key_passage(result),
                      "factors": {f.factor: f.verdict for f in result.factors}})
    total = len(items)
    insufficient = [i for i in items if i["expected"] == "insufficient_information"]
    return {
        "situations": total,
        "accuracy": round(sum(i["expected"] == i["predicted"] for i in items) / total, 4) if total else 0.0,
        "confusion": confusion,
        "insufficient_recall": round(sum(i["predicted"] == "insufficient_information" for i in insufficient)
                                     / len(insufficient), 4) if insufficient else None,
        "key_citation_share": round(sum(i["cites_key"] for i in items) / total, 4) if total else 0.0,
        "items": items,
    }


def run_tolerance_eval(parts: Components, path: Path) -> dict:
    """Screen every situation of the file and score the outlooks."""
    rows = load_situations(path)
    service = parts.tolerance()
    return score(rows, [service.assess(r["situation"]) for r in rows])
