"""Structure parsers: cleaned lines → parts → units, per kind of document."""

from __future__ import annotations

import re

from assistant.ingest.catalog import CatalogEntry
from assistant.ingest.cleaning import Line, clean_lines
from assistant.ingest.markers import BIAN, JIE, TIAO, ZHANG, is_heading_like, squeeze
from assistant.ingest.structure.base import ParsedDocument, Part, Unit
from assistant.ingest.structure.cases import parse_case
from assistant.ingest.structure.collection import split_by_titles, toc_titles
from assistant.ingest.structure.header import read_header
from assistant.ingest.structure.outline import OutlineParser

_ISSUES = re.compile(r"关于印发《(.+?)》的通知")
_AUTHOR = re.compile(r"^[（(]\s*作者[:：]\s*(.+?)[)）]$")
_REG_TITLE = re.compile(r"^(.+?)[（(]第[^）)]+条[）)]$")
_FORMS = ("法", "条例", "规定", "办法", "规则", "细则", "决定", "章程")  # names of law and regulation forms
# a title ending in one, 规定（试行） too: what makes a text without articles a regulation (决定 there is
# mostly a policy: 中共中央关于…的决定)
_FORM_TITLE = re.compile(r"(法|条例|规定|办法|规则|细则)([（(][^）)]*[）)])*$")
_DATED = re.compile(r"[（(]\d{4}-\d{2}-\d{2}[）)]$")  # a file name's version date: 某某规定(1986-02-18)

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
    if _is_regulation(lines, head, name):
        return "regulation"
    return "policy"


def _is_regulation(lines: list[Line], head: str, name: str) -> bool:
    """Articles (第X条), with or without chapters, under a title naming a law or regulation form or holding
    most of the text. Without articles only the title can say: it must end in such a form (older State
    Council regulations number their provisions 一、/（一） or not at all)."""
    articles = sum(1 for line in lines if TIAO.match(line.text))
    if articles >= 3:
        return any(w in head for w in _FORMS) or _article_share(lines) >= 2 / 3
    if articles:
        return False
    title = next((line.text for line in lines[:3] if line.heading), lines[0].text)
    return any(_FORM_TITLE.search(squeeze(t)) for t in (title, _DATED.sub("", name)))


def _article_share(lines: list[Line]) -> float:
    """Share of the body's characters (title and headings aside) inside articles: from a 第X条 line to
    the next heading."""
    inside = total = 0
    in_article = False
    for line in lines[1:]:
        if line.heading or (any(p.match(line.text) for p in (BIAN, ZHANG, JIE)) and is_heading_like(line.text)):
            in_article = False
            continue
        in_article = in_article or bool(TIAO.match(line.text))
        total += len(line.text)
        inside += len(line.text) if in_article else 0
    return inside / total if total else 0.0


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
