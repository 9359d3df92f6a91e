"""Our own small types at the boundaries: documents, chunks, search hits."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Kind = Literal["policy", "regulation", "regulation_collection", "case_collection", "interpretation"]
Status = Literal["in_force", "superseded"]


@dataclass(frozen=True)
class Chunk:
    """One citable passage: `text` is an exact slice `source[start:end]` of the cleaned document."""

    id: str
    doc_id: str
    title: str  # the document (or part of a collection) the passage belongs to
    doc_title: str  # the file's title, e.g. the collection it sits in
    kind: str
    status: str
    section: str  # heading path, " > " separated
    text: str
    start: int
    end: int
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    superseded_by: str = ""
    article: str = ""  # "第一百二十一条"
    article_no: int = 0
    case_no: str = ""
    part_label: str = ""  # a case's labelled part, e.g. "基本案情及处理结果"
    piece: int = 0  # index of this piece when an over-long unit was split
    pieces: int = 1

    @property
    def embed_text(self) -> str:
        """What is embedded: the passage prefixed with where it stands."""
        return f"{self.title} {self.section}\n{self.text}"

    def metadata(self) -> dict[str, str | int]:
        data = asdict(self)
        for key in ("id", "text"):
            data.pop(key)
        return data


@dataclass
class DocumentRecord:
    """What the index knows of one ingested file."""

    doc_id: str
    title: str
    kind: str
    status: str
    content_hash: str
    chunk_ids: list[str] = field(default_factory=list)
    doc_number: str = ""
    issuer: str = ""
    date: str = ""
    superseded_by: str = ""
    source_path: str = ""
    root: str = ""  # the corpus root it was ingested from: a file gone from there leaves the index
    ingested_at: str = ""
    pinned: bool = False  # status/superseded_by set by an administrator: kept over CATALOG.tsv on re-ingest


@dataclass(frozen=True)
class Hit:
    """A chunk found for a question, with the scores and ranks that placed it."""

    chunk: Chunk
    score: float
    dense: float = 0.0
    bm25: float = 0.0
    dense_rank: int = 0  # 1-based; 0: not among the dense candidates
    bm25_rank: int = 0
    named: bool = False
