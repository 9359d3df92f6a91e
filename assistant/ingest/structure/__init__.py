"""Structure parsers: cleaned lines → parts → units, per kind of document."""

from __future__ import annotations

import re

from assistant.ingest.catalog import CatalogEntry
from assistant.ingest.cleaning import Line, clean_lines
from assistant.ingest.markers import TIAO, squeeze
from assistant.ingest.structure.base import ParsedDocument, Part, Unit
from assistant.ingest.structure.cases import parse_case
from assistant.ingest.structure.collection import split_by_titles, toc_titles
from assistant.ingest.structure.header import read_header
from assistant.ingest.structure.outline import OutlineParser

_ISSUES = re.compile(r"关于印发《(.+?)》的通知")
_AUTHOR = re.compile(r"^[（(]\s*作者[:：]\s*(.+?)[)）]$")
_REG_TITLE = re.compile(r"^(.+?)[（(]第[^）)]+条[）)]$")

__all__ = ["ParsedDocument", "Part", "Unit", "detect_kind", "parse_document"]


def detect_kind(lines: list[Line], name: str = "") -> str:
    """Guess a document's kind when the catalog does not say."""
    titles, _, _ = toc_titles(lines)
    head = " ".join(line.text for line in lines[:3]) + name
    if "案例" in head or (titles and all(t.endswith(("案", "）")) and "案" in t for t in titles)):
        return "case_collection"
    if len(titles) >= 2:
        return "regulation_collection"
    if any(_AUTHOR.match(line.text) for line in lines[-3:]):
        return "interpretation"
    articles = sum(1 for line in lines if TIAO.match(line.text))
    if articles >= 3 and any(w in head for w in ("条例", "规定", "法", "规则", "办法")):
        return "regulation"
    return "policy"


def parse_document(raw: str, kind: str = "", entry: CatalogEntry | None = None,
                   part_entries: dict[str, CatalogEntry] | None = None, name: str = "") -> ParsedDocument:
    """Clean the text and cut it along its own structure."""
    lines = clean_lines(raw)
    if not lines:  # nothing but page artefacts: no parts, and ingest skips the file
        return ParsedDocument(lines=[], parts=[], kind=kind or (entry.kind if entry else "") or "policy")
    kind = kind or (entry.kind if entry and entry.kind else "") or detect_kind(lines, name)
    match kind:
        case "case_collection":
            parts = _collection(lines, case=True)
        case "regulation_collection":
            parts = _collection(lines, case=False)
        case "interpretation":
            parts = [_interpretation(lines)]
        case "regulation":
            parts = [_single(lines, 0, len(lines), "regulation")]
        case _:
            kind = "policy"
            parts = _policy(lines)
    _apply_catalog(parts, kind, entry, part_entries or {})
    return ParsedDocument(lines=lines, parts=parts, kind=kind)


def _single(lines: list[Line], lo: int, hi: int, kind: str, preamble: str = "序言") -> Part:
    head = read_header(lines, lo, hi)
    part = Part(title=head.title or squeeze(lines[lo].text), kind=kind, doc_number=head.doc_number,
                issuer=head.issuer, date=head.date)
    if kind == "policy" and head.doc_number:  # 发文机关、文号 and title: asked about, so citable
        part.units.append(Unit(path=["文头"], lo=lo, hi=head.tizhu[0] if head.tizhu else head.end))
    if head.tizhu:
        part.units.append(Unit(path=["题注"], lo=head.tizhu[0], hi=head.tizhu[-1] + 1))
    part.units += OutlineParser(lines, kind).parse(head.end, hi, preamble)
    return part


def _policy(lines: list[Line]) -> list[Part]:
    """A policy; a notice that issues an attached measure yields the notice and the measure."""
    head = read_header(lines, 0, len(lines))
    m = _ISSUES.search(head.title)
    if m:
        wanted = squeeze(m.group(1))
        split = next((i for i in range(head.end, len(lines)) if squeeze(lines[i].text) == wanted), None)
        if split is not None:
            notice = _single(lines, 0, split, "policy", preamble="通知正文")
            measure = _single(lines, split, len(lines), "policy")
            measure.doc_number = measure.doc_number or notice.doc_number
            measure.issuer = measure.issuer or notice.issuer
            return [measure, notice]
    return [_single(lines, 0, len(lines), "policy")]


def _interpretation(lines: list[Line]) -> Part:
    author = ""
    hi = len(lines)
    while hi > 0 and (m := _AUTHOR.match(lines[hi - 1].text)):
        author, hi = m.group(1), hi - 1
    part = _single(lines, 0, hi, "interpretation", preamble="引言")
    part.author = author
    return part


def _collection(lines: list[Line], case: bool) -> list[Part]:
    titles, _, toc_end = toc_titles(lines)
    parts = []
    for title, lo, hi in split_by_titles(lines, titles, toc_end):
        if case:
            parts.append(parse_case(lines, title, lo, hi))
        else:
            part = _single(lines, lo, hi, "regulation")
            part.title = (m.group(1) if (m := _REG_TITLE.match(title)) else title)
            parts.append(part)
    return parts


def _apply_catalog(parts: list[Part], kind: str, entry: CatalogEntry | None,
                   part_entries: dict[str, CatalogEntry]) -> None:
    """Catalog facts win over what the text says; collection parts take their own rows."""
    for part in parts:
        row = part_entries.get(part.title) or next(
            (v for k, v in part_entries.items() if squeeze(k) == squeeze(part.title)), None)
        source = row or entry
        if source is None:
            part.status = part.status or "in_force"
            continue
        if row or len(parts) == 1 or (entry and squeeze(entry.title) == squeeze(part.title)):
            part.title = source.title or part.title
        part.doc_number = part.doc_number or source.doc_number
        part.issuer = source.issuer_name or part.issuer
        part.date = part.date or source.clean_date
        part.status = source.clean_status if source.status != "mixed" else "in_force"
        part.superseded_by = source.superseded_by
