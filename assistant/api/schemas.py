"""Request models of the HTTP API, and the few response models that are the API's own (the domain results —
passages, answers, screenings, course packs — are returned as the domain models themselves)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.grounding.passage import Passage
from assistant.retrieval.hybrid import Filters
from assistant.validation import DEFAULT_KB, KbName, QuestionText

# the `kb` field of every request that reads a knowledge base
KbField = Field(DEFAULT_KB, description=f"知识库（默认 {DEFAULT_KB}；组件密钥只能用它获准的知识库）")


class SearchFilters(BaseModel):
    doc_id: list[str] | str | None = Field(None, description="只在这些文档中检索")
    kind: list[str] | str | None = Field(None, description="policy / regulation / case_collection / interpretation")
    status: list[str] | str | None = Field(None, description="in_force / superseded")

    def to_filters(self) -> Filters:
        def many(value: list[str] | str | None) -> tuple[str, ...]:
            return tuple([value] if isinstance(value, str) else value or [])

        return Filters(doc_ids=many(self.doc_id), kinds=many(self.kind), statuses=many(self.status))


def filters_of(given: SearchFilters | None) -> Filters | None:
    return given.to_filters() if given else None


class SearchRequest(BaseModel):
    query: QuestionText
    k: int = Field(5, ge=1, le=50, title="条数", description="返回条数，1–50")
    filters: SearchFilters | None = None
    kb: KbName = KbField


class SearchResponse(BaseModel):
    results: list[Passage]


class ErrorResponse(BaseModel):
    detail: str


# a request naming a knowledge base its caller may not use, or one the store does not hold
KB_ERRORS = {403: {"model": ErrorResponse, "description": "无权使用该知识库（或来源未获授权）"},
             404: {"model": ErrorResponse, "description": "没有该知识库"}}
