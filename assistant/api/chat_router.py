"""POST /api/chat (a cited answer as JSON) and POST /api/chat/stream (the same as server-sent events).

The stream sends `event: citations` (`{"citations": [...]}`), then `event: delta` pieces
(`{"text": "…"}`), then `event: done` (`{"refused", "mode", "notice"}`, plus `tolerance` when a screening
answered); a failure mid-stream ends it with `event: error` (`{"detail": "…"}`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from assistant.answer.types import Done
from assistant.api.chat_schemas import ChatRequest
from assistant.api.deps import KnowledgeBaseDep
from assistant.api.schemas import KB_ERRORS, ErrorResponse, filters_of
from assistant.chat import ChatReply
from assistant.errors import AssistantError

router = APIRouter(tags=["问答"])
log = logging.getLogger("assistant.api")
ERRORS = {422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}
# the widget access checks (assistant/widget/access.py) on /api/chat, /api/chat/stream and /api/search
WIDGET_ERRORS = {**ERRORS, **KB_ERRORS,
                 403: {"model": ErrorResponse, "description": "该来源未获授权使用此组件密钥，或无权使用该知识库"},
                 429: {"model": ErrorResponse, "description": "提问过于频繁（见 Retry-After）"}}
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: BaseModel | dict | str) -> str:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


def guarded(lines: Iterator[str]) -> Iterator[str]:
    """Pass the lines on; an error after the 200 has gone out ends the stream with an error event."""
    try:
        yield from lines
    except Exception as err:
        log.exception("chat stream failed")
        detail = str(err) if isinstance(err, AssistantError) else "服务内部错误，请稍后再试或联系管理员"
        yield sse("error", {"detail": detail})


@router.post("/api/chat", response_model=ChatReply, responses=WIDGET_ERRORS)
async def chat(body: ChatRequest, kb: KnowledgeBaseDep, request: Request) -> ChatReply:
    """A cited answer from the knowledge base, or a refusal listing the closest passages."""
    service = await kb.chat(body.kb)
    answer = await run_in_threadpool(service.answer, body.question, body.turns(), filters_of(body.filters))
    request.app.state.metrics.observe_answer(answer.refused, answer.mode, answer.notice, answer.confidence)
    request.app.state.question_log.answer(request, body.question, answer)
    return answer


@router.post("/api/chat/stream", responses={**WIDGET_ERRORS, 200: {"content": {"text/event-stream": {}}}})
async def chat_stream(body: ChatRequest, kb: KnowledgeBaseDep, request: Request) -> StreamingResponse:
    """The same answer as server-sent events: citations, then text deltas, then done."""
    service = await kb.chat(body.kb)
    rest = service.stream(body.question, body.turns(), filters_of(body.filters))
    # retrieval runs up to the first event off the event loop; errors there still get a proper status
    first = await run_in_threadpool(next, rest)

    def lines() -> Iterator[str]:
        yield sse(first.kind, first)
        for event in rest:  # a sync generator: Starlette iterates it in the threadpool
            if isinstance(event, Done):
                request.app.state.metrics.observe_answer(event.refused, event.mode, event.notice)
                request.app.state.question_log.stream_done(request, body.question, first.citations, event)
            yield sse(event.kind, event)

    return StreamingResponse(guarded(lines()), media_type="text/event-stream", headers=SSE_HEADERS)
