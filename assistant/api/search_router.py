"""POST /api/search: the passages that best answer a question."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from assistant.api.chat_router import WIDGET_ERRORS
from assistant.api.deps import get_retriever
from assistant.api.schemas import SearchRequest, SearchResponse, SearchResult

router = APIRouter(tags=["检索"])


@router.post("/api/search", response_model=SearchResponse, responses=WIDGET_ERRORS)
async def search(body: SearchRequest, retriever: Annotated[object, Depends(get_retriever)]) -> SearchResponse:
    filters = body.filters.to_filters() if body.filters else None
    hits = await run_in_threadpool(retriever.search, body.query, body.k, filters)
    return SearchResponse(results=[SearchResult.from_hit(h) for h in hits])
