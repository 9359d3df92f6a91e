"""Request and response models of the HTTP API (Chinese messages for bad input)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from assistant.answer.types import Citation
from assistant.retrieval.hybrid import Filters, Hit

MAX_QUERY_CHARS = 2000


class SearchFilters(BaseModel):
    doc_id: list[str] | str | None = Field(None, description="只在这些文档中检索")
    kind: list[str] | str | None = Field(None, description="policy / regulation / case_collection / interpretation")
    status: list[str] | str | None = Field(None, description="in_force / superseded")

    def to_filters(self) -> Filters:
        def many(value: list[str] | str | None) -> tuple[str, ...]:
            return tuple([value] if isinstance(value, str) else value or [])

        return Filters(doc_ids=many(self.doc_id), kinds=many(self.kind), statuses=many(self.status))


class SearchRequest(BaseModel):
    # json_schema_extra documents what the validators check, keeping their Chinese messages
    query: str = Field(..., description="问题或关键词，1–2000 字",
                       json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": r"\S"})
    k: int = Field(5, description="返回条数，1–50", json_schema_extra={"minimum": 1, "maximum": 50})
    filters: SearchFilters | None = None

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("问题不能为空")
        if len(value) > MAX_QUERY_CHARS:
            raise ValueError(f"问题过长：最多 {MAX_QUERY_CHARS} 字，当前 {len(value)} 字")
        return value

    @field_validator("k")
    @classmethod
    def _k(cls, value: int) -> int:
        if not 1 <= value <= 50:
            raise ValueError("k 必须在 1 到 50 之间")
        return value


class SearchResult(BaseModel):
    text: str
    doc_id: str
    title: str
    doc_number: str
    section: str
    article: str
    status: str
    score: float
    dense_score: float
    bm25_score: float
    superseded_by: str = ""
    issuer: str = ""
    date: str = ""
    chunk_id: str = ""

    @classmethod
    def from_hit(cls, hit: Hit) -> "SearchResult":
        c = hit.chunk
        return cls(text=c.text, doc_id=c.doc_id, title=c.title, doc_number=c.doc_number, section=c.section,
                   article=c.article, status=c.status, score=round(hit.score, 6), dense_score=round(hit.dense, 6),
                   bm25_score=round(hit.bm25, 6), superseded_by=c.superseded_by, issuer=c.issuer, date=c.date,
                   chunk_id=c.id)


# A cited passage in responses is our own `Citation` dataclass itself (pydantic validates and serialises
# it), not a second copy of its fields.
CitationOut = Citation


class SearchResponse(BaseModel):
    results: list[SearchResult]


class ErrorResponse(BaseModel):
    detail: str
