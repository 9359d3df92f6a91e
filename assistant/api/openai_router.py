"""OpenAI-compatible chat: POST /v1/chat/completions (plain and `stream: true`) and GET /v1/models,
so existing chat front ends can talk to the assistant.

The last message must be the user's question; earlier user/assistant messages are the history (the last
20 are used), system messages are ignored, sampling options are accepted and ignored. Extensions:
- request: `filters` as in /api/search; the knowledge base as `kb` or as the model `policy-assistant:NAME`
  (GET /v1/models lists those the caller may use);
- response: top-level `citations` (the same objects as /api/chat: n, text, doc_id, title, doc_number,
  issuer, date, section, article, status, score), plus `refused`, `mode` and `notice`. When streaming,
  the first chunk carries `citations` and the last one `refused`, `mode` and `notice`.
- `content` is the answer followed by the notice (if any) and a short「参考条文」list, so a front end
  that only shows `content` still shows what [n] points at.
- `usage` is an estimate (chat_schemas.Usage): clients such as `llm` read it; with `stream_options:
  {"include_usage": true}` a stream ends with a chunk whose `choices` is empty and whose `usage` is set, as
  OpenAI's does. `system_fingerprint` is null.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from assistant.answer.types import Delta, Done
from assistant.api.chat_router import ERRORS, SSE_HEADERS, guarded, sse
from assistant.api.chat_schemas import DEFAULT_MODEL, Completion, CompletionChoice, CompletionRequest, Usage
from assistant.api.deps import KnowledgeBaseDep
from assistant.api.schemas import KB_ERRORS, filters_of
from assistant.errors import AssistantError
from assistant.grounding.passage import Passage
from assistant.grounding.text import marker_numbers
from assistant.validation import DEFAULT_KB

router = APIRouter(tags=["OpenAI 兼容"])


def footer(answer: str, citations: list[Passage], notice: str | None) -> str:
    """The notice and the sources the answer cites (all listed ones if it cites none), for `content`."""
    cited = set(marker_numbers(answer))
    rows = [c for c in citations if c.n in cited] or citations
    parts = [f"（{notice}）"] if notice else []
    if rows:
        parts.append("参考条文：\n" + "\n".join(
            f"[{c.n}] 《{c.title}》{c.article or c.section.split(' > ')[-1]}"
            + (f"（{c.doc_number}）" if c.doc_number else "") + ("（已被替代）" if c.status == "superseded" else "")
            for c in rows))
    return "\n\n" + "\n\n".join(parts) if parts else ""


def _chunk(cid: str, model: str, created: int, delta: dict | None, finish: str | None = None, **extra) -> dict:
    """One chat.completion.chunk; `delta=None` makes the usage chunk (no choices)."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": None, "choices": choices, **extra}


@router.post("/v1/chat/completions", response_model=Completion,
             responses={**ERRORS, **KB_ERRORS, 200: {"content": {"text/event-stream": {}}}})
async def completions(body: CompletionRequest, kb: KnowledgeBaseDep, request: Request) -> Completion | StreamingResponse:
    """An answer in OpenAI's chat.completion (or chat.completion.chunk stream) format."""
    service = await kb.chat(body.kb)
    filters = filters_of(body.filters)
    cid, created, model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), body.model or DEFAULT_MODEL
    if not body.stream:
        answer = await run_in_threadpool(service.answer, body.question(), body.turns(), filters)
        request.app.state.question_log.answer(request, body.question(), answer)
        content = answer.answer + footer(answer.answer, answer.citations, answer.notice)
        choice = CompletionChoice(message={"role": "assistant", "content": content})
        return Completion(id=cid, created=created, model=model, choices=[choice],
                          usage=Usage.estimate(body.messages, content), citations=answer.citations,
                          refused=answer.refused, mode=answer.mode, notice=answer.notice)

    events = service.stream(body.question(), body.turns(), filters)
    first = await run_in_threadpool(next, events)  # retrieval: errors here still get a proper status
    citations = first.citations
    # with include_usage every chunk carries "usage": null and a last chunk the counts (OpenAI's protocol)
    usage = {"usage": None} if body.stream_options and body.stream_options.include_usage else {}

    def lines() -> Iterator[str]:
        yield sse("", _chunk(cid, model, created, {"role": "assistant", "content": ""},
                             citations=[c.model_dump(mode="json") for c in citations], **usage))
        said = []
        for event in events:
            if isinstance(event, Delta):
                said.append(event.text)
                yield sse("", _chunk(cid, model, created, {"content": event.text}, **usage))
            elif isinstance(event, Done):
                request.app.state.question_log.stream_done(request, body.question(), citations, event)
                tail = footer("".join(said), citations, event.notice)
                if tail:
                    said.append(tail)
                    yield sse("", _chunk(cid, model, created, {"content": tail}, **usage))
                yield sse("", _chunk(cid, model, created, {}, "stop", **event.model_dump(mode="json"), **usage))
        if usage:
            counts = Usage.estimate(body.messages, "".join(said)).model_dump()
            yield sse("", _chunk(cid, model, created, None, usage=counts))
        yield sse("", "[DONE]")

    return StreamingResponse(guarded(lines()), media_type="text/event-stream", headers=SSE_HEADERS)


class Model(BaseModel):
    id: str
    object: str = "model"
    created: int = 0
    owned_by: str = "policy-assistant"


class ModelList(BaseModel):
    object: str = "list"
    data: list[Model]


@router.get("/v1/models", response_model=ModelList)
async def models(kb: KnowledgeBaseDep, request: Request) -> ModelList:
    """The models this server offers (front ends ask before chatting): `policy-assistant` (the default
    knowledge base) and `policy-assistant:NAME` for each other knowledge base the caller may use."""
    try:
        names = await run_in_threadpool(request.app.state.kbs.names)
    except AssistantError:  # the store is down: the default model still names something to ask
        names = []
    ids = [DEFAULT_MODEL] * kb.may_use(DEFAULT_KB) + [
        f"{DEFAULT_MODEL}:{n}" for n in names if n != DEFAULT_KB and kb.may_use(n)]
    return ModelList(data=[Model(id=i) for i in ids])
