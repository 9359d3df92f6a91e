"""Units → chunks: one per unit, an over-long unit split at line then sentence ends under the cap."""

from __future__ import annotations

import hashlib
import re

from assistant.grounding.text import CLAUSE_STOPS, end_run
from assistant.ingest.structure import ParsedDocument
from assistant.types import Chunk

# half-width marks too (texts converted from Word or PDF mix them); not the ASCII quotes: a change here
# changes the sentence vectors, and with them every embedding-cache key
STOPS = CLAUSE_STOPS + "!?;"
_SENTENCE_END = end_run(STOPS, closers="”’」』）)")
_CLAUSE_END = re.compile(r"[，、,：:]")


def split_spans(text: str, start: int, cap: int) -> list[tuple[int, int]]:
    """Cut text (at absolute offset `start`) into consecutive spans of at most `cap` characters.

    Cuts fall after line ends first, then sentence ends (。；！？), then clause marks, then anywhere;
    the spans tile the text exactly, so no character is lost.
    """
    if cap < 1:
        raise ValueError("cap must be positive")
    if len(text) <= cap:
        return [(start, start + len(text))]
    cuts = _cut_points(text)
    spans, lo = [], 0
    while len(text) - lo > cap:
        limit = lo + cap
        best = max((c for c in cuts if lo < c <= limit), default=None, key=lambda c: (_rank(text, c), c))
        hi = best if best is not None else limit
        spans.append((start + lo, start + hi))
        lo = hi
    spans.append((start + lo, start + len(text)))
    return spans


def _cut_points(text: str) -> list[int]:
    points = {m.start() + 1 for m in re.finditer("\n", text)}
    points |= {m.end() for m in _SENTENCE_END.finditer(text)}
    points |= {m.end() for m in _CLAUSE_END.finditer(text)}
    return sorted(points)


def _rank(text: str, cut: int) -> int:
    """Prefer line ends over sentence ends over clause marks."""
    if text[cut - 1] == "\n":
        return 3
    if _SENTENCE_END.match(text, cut - 1) or text[cut - 1] in "”’」』）)":
        return 2
    return 1


def sentence_units(text: str, min_chars: int = 12) -> list[str]:
    """A chunk's sentences (split at 。；！？ and line ends; a short one joins the next), for the
    per-sentence vectors: one item in a long article then matches a question on its own."""
    units, pending, lo = [], "", 0
    for cut in _sentence_cuts(text) + [len(text)]:
        piece = text[lo:cut].strip()
        lo = cut
        if not piece:
            continue
        pending += piece
        if len(pending) >= min_chars:
            units.append(pending)
            pending = ""
    if pending:
        if units:
            units[-1] += pending
        else:
            units.append(pending)
    return units


def _sentence_cuts(text: str) -> list[int]:
    points = {m.start() + 1 for m in re.finditer("\n", text)} | {m.end() for m in _SENTENCE_END.finditer(text)}
    return sorted(p for p in points if 0 < p < len(text))


def chunk_id(doc_id: str, section: str, ordinal: int, text: str) -> str:
    """Stable: the same document, place and text always give the same id."""
    digest = hashlib.sha1(f"{doc_id}\x1f{section}\x1f{ordinal}\x1f{text}".encode()).hexdigest()
    return digest[:24]


def chunk_document(doc: ParsedDocument, doc_id: str, doc_title: str, cap: int) -> list[Chunk]:
    """Every unit of every part becomes one or more chunks that carry its structure."""
    source = doc.text
    chunks: list[Chunk] = []
    for part in doc.parts:
        for unit in part.units:
            if unit.hi <= unit.lo:
                continue
            lo, hi = doc.span(unit)
            spans = [(a, b) for a, b in split_spans(source[lo:hi], lo, cap) if source[a:b].strip()]
            section = " > ".join(unit.path)
            for piece, (a, b) in enumerate(spans):
                a, b = _trim(source, a, b)
                text = source[a:b]
                chunks.append(Chunk(
                    id=chunk_id(doc_id, section, len(chunks), text), doc_id=doc_id, title=part.title,
                    doc_title=doc_title or part.title, kind=part.kind, status=part.status or "in_force",
                    section=section, text=text, start=a, end=b, doc_number=part.doc_number,
                    issuer=part.issuer, date=part.date, superseded_by=part.superseded_by,
                    article=unit.article, article_no=unit.article_no, case_no=part.case_no,
                    part_label=unit.part_label, piece=piece, pieces=len(spans),
                ))
    return chunks


def _trim(source: str, a: int, b: int) -> tuple[int, int]:
    while a < b and source[a].isspace():
        a += 1
    while b > a and source[b - 1].isspace():
        b -= 1
    return a, b
