"""Situation sets ({id, situation, expected_outlook, note}; real cases also carry `source`, `also_reported_at` and
`derived_from`): loading them, the reports they were drawn from, and a reader that never saw those reports.

A set drawn from real reports is never read with example clauses written from the same reports: the clause reader
is then fitted without them (`analyzer_without`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from assistant.components import Components
from assistant.errors import AssistantError
from assistant.tolerance.factors import FactorAnalyzer
from assistant.tolerance.lexicon import Negation
from assistant.tolerance.reader import ClauseReader, load_examples
from assistant.tolerance.types import OUTLOOK_LABELS

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


def report_sources(rows: Sequence[dict]) -> set[str]:
    """The URLs of the reports a set was drawn from (a case may be reported at several)."""
    return {u for r in rows for u in [r.get("source") or "", *(r.get("also_reported_at") or [])] if u}


def clauses_from(rows: Sequence[dict]) -> int:
    """How many example clauses were written from the reports of `rows`."""
    sources = report_sources(rows)
    return sum(e.source in sources for e in load_examples())


def analyzer_without(parts: Components, rows: Sequence[dict]) -> FactorAnalyzer:
    """The product's reader when no example clause comes from the reports of `rows`, else one whose clause
    reader is fitted without them (the lexicon and settings as shipped)."""
    if not clauses_from(rows):
        return parts.factor_analyzer
    negation = Negation(base=parts.tokenizer.dictionary())
    return FactorAnalyzer(negation=negation,
                          reader=ClauseReader(negation=negation, exclude_sources=report_sources(rows)))
