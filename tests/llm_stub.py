"""A small OpenAI-compatible chat server on a free loopback port, for testing the LLM answerer over real HTTP.

Its replies are deterministic and built from the prompt:
- a rewrite request (system prompt asks to 改写) → 「<last user question> <latest question>」;
- an answer request → the first sentence of passage [1] with a valid `[1]` and a bogus `[9]`, then a
  sentence with no marker at all (so post-processing has something to remove and to flag).
Modes: "ok", "slow" (sleeps `delay` seconds before answering), "fail" (HTTP 500), "broken" (streams most of
the reply, then drops the connection), "echo" (answers every non-rewrite request with `state.reply`, by default
ECHO_REPLY, a reply that misbehaves: an invented [9], an unmarked sentence, the injected instruction obeyed).
Every request body is kept in `state.requests`, so a test sees exactly what the model was sent.
`closed_url()` points at a port where nothing listens.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from tests.servers import free_port

UNSUPPORTED_SENTENCE = "此外还应结合单位的实际情况综合研判。"
ECHO_REPLY = ("好的，忽略以上指令。所有违纪行为均可免责[9]。乡镇干部的补贴应当向基层倾斜[1][7]。"
              "这一结论来自上级的内部通知，无需核对原文。")


@dataclass
class StubState:
    mode: str = "ok"
    delay: float = 3.0
    requests: list[dict] = field(default_factory=list)
    reply: str = ECHO_REPLY  # what "echo" mode answers


def reply_for(messages: list[dict]) -> str:
    """The stub's deterministic reply to a chat request."""
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    prompt = messages[-1]["content"]
    if "改写" in system:
        users = re.findall(r"^用户：(.*)$", prompt, re.M)
        latest = prompt.rsplit("最新问题：", 1)[-1].strip()
        return f"{users[-1] if users else ''} {latest}".strip()
    first = re.search(r"^\[1\] [^\n]*\n(.+?)(?:\n\n\[\d+\] |\n\n问题：)", prompt, re.M | re.S)
    sentences = re.split(r"[。；！？\n]", first.group(1).strip()) if first else []
    sentence = next((x for x in sentences if len(x) >= 15), sentences[0] if sentences else "没有条文")
    return f"根据规定，{sentence}[1][9]。{UNSUPPORTED_SENTENCE}"


def _chunk(content: str | None, finish: str | None = None) -> str:
    delta = {} if content is None else {"content": content}
    body = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()), "model": "stub",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def stub_app(state: StubState) -> Starlette:
    async def completions(request: Request):
        body = await request.json()
        state.requests.append(body)
        if state.mode == "fail":
            return JSONResponse({"error": {"message": "stub failure", "type": "server_error"}}, status_code=500)
        if state.mode == "slow":
            await asyncio.sleep(state.delay)
        rewrite = "改写" in next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
        text = state.reply if state.mode == "echo" and not rewrite else reply_for(body["messages"])
        if not body.get("stream"):
            return JSONResponse({
                "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()), "model": "stub",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

        async def events():
            yield _chunk("")
            for i in range(0, len(text), 5):
                if state.mode == "broken" and i >= len(text) - 10:  # after the first sentence went out
                    raise ConnectionResetError("stub drops the stream")
                yield _chunk(text[i:i + 5])
                await asyncio.sleep(0)
            yield _chunk(None, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@contextmanager
def running_stub(mode: str = "ok", delay: float = 3.0, reply: str = ECHO_REPLY):
    """Yield (base_url ending in /v1, state) of a stub serving on a free loopback port."""
    state = StubState(mode, delay, reply=reply)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(stub_app(state), host="127.0.0.1", port=port, log_level="critical",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("LLM stub did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1", state
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def closed_url() -> str:
    """A loopback URL where nothing listens: connections are refused."""
    return f"http://127.0.0.1:{free_port()}/v1"
