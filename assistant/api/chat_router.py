"""POST /api/chat (a cited answer as JSON) and POST /api/chat/stream (the same as server-sent events).

The stream sends `event: citations` (`{"citations": [...]}`), then `event: delta` pieces
(`{"text": "…"}`), then `event: done` (`{"refused", "mode", "notice"}`); a failure mid-stream
ends it with `event: error` (`{"detail": "…"}`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from assistant.answer import ChatService
from assistant.api.chat_schemas import ChatRequest, ChatResponse
from assistant.api.deps import get_chat
from assistant.api.schemas import ErrorResponse
from assistant.errors import AssistantError

router = APIRouter(tags=["问答"])
log = logging.getLogger("assistant.api")
ChatDep = Annotated[ChatService, Depends(get_chat)]
ERRORS = {422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}
# the widget access checks (assistant/widget/access.py) on /api/chat, /api/chat/stream and /api/search
WIDGET_ERRORS = {**ERRORS, 403: {"model": ErrorResponse, "description": "该来源未获授权使用此组件密钥"},
                 429: {"model": ErrorResponse, "description": "提问过于频繁（见 Retry-After）"}}
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: dict | str) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


def guarded(lines: Iterator[str]) -> Iterator[str]:
    """Pass the lines on; an error after the 200 has gone out ends the stream with an error event."""
    try:
        yield from lines
    except Exception as err:  # noqa: BLE001 - the status line is already sent
        log.exception("chat stream failed")
        detail = str(err) if isinstance(err, AssistantError) else "服务内部错误，请稍后再试或联系管理员"
        yield sse("error", {"detail": detail})


@router.post("/api/chat", response_model=ChatResponse, responses=WIDGET_ERRORS)
async def chat(body: ChatRequest, service: ChatDep, request: Request) -> ChatResponse:
    """A cited answer, or a refusal listing the closest passages."""
    filters = body.filters.to_filters() if body.filters else None
    answer = await run_in_threadpool(service.answer, body.question, body.turns(), filters)
    request.app.state.metrics.observe_answer(answer.refused, answer.mode, answer.notice, answer.confidence)
    request.app.state.question_log.answer(request, body.question, answer)
    return ChatResponse.from_answer(answer)


@router.post("/api/chat/stream", responses={**WIDGET_ERRORS, 200: {"content": {"text/event-stream": {}}}})
async def chat_stream(body: ChatRequest, service: ChatDep, request: Request) -> StreamingResponse:
    """The same answer as server-sent events: citations, then text deltas, then done."""
    filters = body.filters.to_filters() if body.filters else None
    rest = service.stream(body.question, body.turns(), filters)
    # retrieval runs up to the first event off the event loop; errors there still get a proper status
    first = await run_in_threadpool(next, rest)

    def lines() -> Iterator[str]:
        yield sse(first.kind, first.data)
        for event in rest:  # a sync generator: Starlette iterates it in the threadpool
            if event.kind == "done":
                request.app.state.metrics.observe_answer(
                    bool(event.data.get("refused")), event.data.get("mode", ""), event.data.get("notice"))
                request.app.state.question_log.stream_done(request, body.question, first.data["citations"], event.data)
            yield sse(event.kind, event.data)

    return StreamingResponse(guarded(lines()), media_type="text/event-stream", headers=SSE_HEADERS)
