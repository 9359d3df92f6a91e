"""Our own course-pack types: numbered sources, exact quotations, and the parts a trainer's handout holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from assistant.types import Chunk

MAX_TOPIC_CHARS = 200
STATUS_LABELS = {"in_force": "现行有效", "superseded": "已被替代"}


def check_topic(topic: str) -> str:
    """The topic stripped, or a ValueError with the message a trainer reads."""
    text = (topic or "").strip()
    if not text:
        raise ValueError("主题不能为空")
    if len(text) > MAX_TOPIC_CHARS:
        raise ValueError(f"主题过长：最多 {MAX_TOPIC_CHARS} 字，当前 {len(text)} 字")
    return text


@dataclass(frozen=True)
class Source:
    """A cited passage: `[n]` in the pack points at it; `start:end` locate it in the cleaned document."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    doc_title: str
    kind: str
    status: str
    section: str
    article: str
    start: int
    end: int
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    superseded_by: str = ""
    case_no: str = ""
    piece: int = 0
    pieces: int = 1

    @classmethod
    def from_chunk(cls, n: int, c: Chunk) -> "Source":
        return cls(n=n, chunk_id=c.id, doc_id=c.doc_id, title=c.title, doc_title=c.doc_title, kind=c.kind,
                   status=c.status, section=c.section, article=c.article, start=c.start, end=c.end,
                   doc_number=c.doc_number, issuer=c.issuer, date=c.date, superseded_by=c.superseded_by,
                   case_no=c.case_no, piece=c.piece, pieces=c.pieces)

    @property
    def place(self) -> str:
        """Where the passage stands inside its document: the article, else the section path."""
        if self.article:
            return self.article
        parts = [p for p in self.section.split(" > ") if p and p != self.title]
        return " · ".join(parts)

    @property
    def label(self) -> str:
        """《title》 and place, for the source list."""
        collection = f"（{self.doc_title}）" if self.kind == "case" and self.doc_title else ""
        piece = f"（第 {self.piece + 1}/{self.pieces} 段）" if self.pieces > 1 else ""
        return f"《{self.title}》{collection}{self.place}{piece}"


@dataclass(frozen=True)
class Quote:
    """An exact quotation: `text` is a substring of the cited chunk's text, never reworded."""

    text: str
    source: int  # Source.n


@dataclass(frozen=True)
class Provision:
    """One passage of a document, quoted whole; `heading` says where it stands."""

    heading: str
    quote: Quote
    excerpt: bool = False  # one piece of a longer article


@dataclass
class DocumentGroup:
    """The provisions quoted from one document, in document order."""

    doc_id: str
    title: str
    kind: str
    status: str
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    successor: str = ""  # title of the in-force document that replaced a superseded one
    provisions: list[Provision] = field(default_factory=list)

    @property
    def superseded(self) -> bool:
        return self.status == "superseded"


@dataclass
class CaseSummary:
    """A case from a compilation: the facts in brief, the outcome and the stated reasons, all quoted."""

    title: str
    case_no: str
    collection: str
    facts: list[Quote] = field(default_factory=list)
    outcome: list[Quote] = field(default_factory=list)
    reasons: list[Quote] = field(default_factory=list)

    @property
    def sources(self) -> list[int]:
        return sorted({q.source for q in self.facts + self.outcome + self.reasons})


@dataclass(frozen=True)
class Term:
    """A domain term of the pack with the passage that defines it."""

    term: str
    definition: Quote


@dataclass(frozen=True)
class DiscussionQuestion:
    text: str
    sources: tuple[int, ...]


@dataclass(frozen=True)
class Point:
    """A sentence written by the LLM (introduction or learning point); it cites valid sources only."""

    text: str
    sources: tuple[int, ...]


@dataclass
class CoursePack:
    """A trainer's handout on one topic; every quotation points at a numbered source."""

    topic: str
    groups: list[DocumentGroup]
    cases: list[CaseSummary]
    terms: list[Term]
    questions: list[DiscussionQuestion]
    sources: list[Source]
    introduction: list[Point] = field(default_factory=list)
    learning_points: list[Point] = field(default_factory=list)
    notice: str | None = None
    confidence: float = 0.0

    def quotes(self) -> list[Quote]:
        """Every quotation in the pack, in reading order."""
        out = [p.quote for g in self.groups for p in g.provisions]
        for case in self.cases:
            out += case.facts + case.outcome + case.reasons
        return out + [t.definition for t in self.terms]

    def source(self, n: int) -> Source:
        return self.sources[n - 1]

    @property
    def provision_count(self) -> int:
        return sum(len(g.provisions) for g in self.groups)

    def to_dict(self) -> dict:
        """The structured pack for the API (plain JSON types)."""
        data = asdict(self)
        for group, raw in zip(self.groups, data["groups"]):
            raw["superseded"] = group.superseded
        for source, raw in zip(self.sources, data["sources"]):
            raw["label"] = source.label
        return data
