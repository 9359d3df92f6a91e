"""POST /api/search: the passages that best answer a question."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from assistant.api.chat_router import WIDGET_ERRORS
from assistant.api.deps import KnowledgeBaseDep
from assistant.api.schemas import KB_ERRORS, SearchRequest, SearchResponse, filters_of
from assistant.grounding.passage import Passage

router = APIRouter(tags=["检索"])


@router.post("/api/search", response_model=SearchResponse, responses={**WIDGET_ERRORS, **KB_ERRORS})
async def search(body: SearchRequest, kb: KnowledgeBaseDep) -> SearchResponse:
    """The k best passages of the knowledge base, best first (`n` is the rank)."""
    retriever = await kb.retriever(body.kb)
    filters = filters_of(body.filters)
    # a repeated question: cheaper here than the hop to a worker thread (should the LRU drop it in between, this
    # one search embeds it on the event loop)
    if retriever.in_memory(body.query):
        hits = retriever.search(body.query, body.k, filters)
    else:  # the model embeds it (tens of ms), or a Chroma server is asked: not on the event loop
        hits = await run_in_threadpool(retriever.search, body.query, body.k, filters)
    return SearchResponse(results=[Passage.from_hit(n, h) for n, h in enumerate(hits, 1)])
