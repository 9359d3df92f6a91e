"""What structure parsers produce: parts of a document, each a list of citable units."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.ingest.cleaning import Line


@dataclass
class Unit:
    """A span of cleaned lines [lo, hi) that is cited as one passage (an article, a measure, a case part)."""

    path: list[str]
    lo: int
    hi: int = 0
    article: str = ""
    article_no: int = 0
    part_label: str = ""
    numbered: bool = True  # False: loose paragraphs under a heading, packed by size


@dataclass
class Part:
    """A logical document: the file itself, or one regulation of a collection, or a notice and its measure."""

    title: str
    kind: str
    units: list[Unit] = field(default_factory=list)
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    status: str = ""
    superseded_by: str = ""
    case_no: str = ""
    author: str = ""


@dataclass
class ParsedDocument:
    lines: list[Line]
    parts: list[Part]
    kind: str

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def span(self, unit: Unit) -> tuple[int, int]:
        first, last = self.lines[unit.lo], self.lines[unit.hi - 1]
        return first.start, last.start + len(last.text)
