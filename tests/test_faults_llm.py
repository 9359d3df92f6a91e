"""Faults of the LLM, over real HTTP: slow on every endpoint that can use it, slow under concurrent questions,
and stalling after it started answering. What tests/test_chat_llm.py already covers (down, 500, slow on
/api/chat; a stream dropped midway) is not repeated; here every fallback is also timed."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.routing import Route

from assistant.course.llm import UNAVAILABLE as COURSE_UNAVAILABLE
from assistant.grounding.llm import LLM_UNAVAILABLE
from tests.llm_stub import reply_for, running_stub
from tests.servers import free_port, running_app
from tests.test_chat_api import ANSWERABLE, sse_events
from tests.test_tolerance_api import LIKELY

LLM_TIMEOUT, MARGIN = 1.0, 2.0  # every fallback must be over within the timeout and this margin


def llm_app(settings, url: str):
    return running_app(settings.model_copy(update={"llm_base_url": url, "llm_model": "stub",
                                                    "llm_timeout": LLM_TIMEOUT}))


def timed_post(url: str, body: dict) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = httpx.post(url, json=body, timeout=30)
    return r, time.monotonic() - started


def test_slow_llm_every_endpoint_falls_back_within_the_timeout(seed_fake_settings):
    """The stub answers after 3 s, the timeout is 1 s: each endpoint that can use the model answers without it,
    says so, and is not held past the timeout (a follow-up must not wait twice: rewrite, then answer)."""
    history = [{"role": "user", "content": "专题培训一般安排多长时间？"}, {"role": "assistant", "content": "以短期为主。"}]
    user = [{"role": "user", "content": ANSWERABLE}]
    calls = {
        "chat-stream": ("/api/chat/stream", {"question": ANSWERABLE}),
        "chat-follow-up": ("/api/chat", {"question": "那要多久？", "history": history}),
        "openai": ("/v1/chat/completions", {"messages": user}),
        "openai-stream": ("/v1/chat/completions", {"stream": True, "messages": user}),
        "tolerance": ("/api/tolerance", {"situation": LIKELY}),
        "course-pack": ("/api/course-pack", {"topic": "被问责处分干部", "max_provisions": 5}),
    }
    with running_stub("slow", delay=3.0) as (stub, state), llm_app(seed_fake_settings, stub) as url:
        for path, body in calls.values():  # lazy set-up (the tolerance rules…) is not what is timed here
            httpx.post(f"{url}{path}", json=body, timeout=60)
        asked = len(state.requests)
        results = {name: timed_post(f"{url}{path}", body) for name, (path, body) in calls.items()}
    assert len(state.requests) >= asked + len(calls)  # the model was tried every time
    slow = {name: round(s, 2) for name, (_, s) in results.items() if s > LLM_TIMEOUT + MARGIN}
    assert not slow, slow
    assert all(r.status_code == 200 for r, _ in results.values()), {n: r.text[:200] for n, (r, _) in results.items()}
    done = json.loads(sse_events(results["chat-stream"][0])[-1][1])
    assert done == {"refused": False, "mode": "extractive", "notice": LLM_UNAVAILABLE}
    assert results["chat-follow-up"][0].json()["notice"] == LLM_UNAVAILABLE
    assert results["openai"][0].json()["notice"] == LLM_UNAVAILABLE
    last = results["openai-stream"][0].text.split("data: [DONE]")[0].strip().split("data: ")[-1]
    assert json.loads(last)["notice"] == LLM_UNAVAILABLE
    tolerance = results["tolerance"][0].json()
    assert tolerance["mode"] == "rules" and "规则分析的结果" in tolerance["notice"]
    assert results["course-pack"][0].json()["pack"]["notice"] == COURSE_UNAVAILABLE


def test_slow_llm_does_not_queue_concurrent_questions(seed_fake_settings):
    """Eight questions at once while the model hangs: each falls back after one timeout, not eight."""
    with running_stub("slow", delay=5.0) as (stub, _), llm_app(seed_fake_settings, stub) as url:
        httpx.post(f"{url}/api/chat", json={"question": ANSWERABLE}, timeout=60)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda n: timed_post(f"{url}/api/chat", {"question": ANSWERABLE + " " * n}),
                                    range(8)))
    assert all(r.status_code == 200 and r.json()["notice"] == LLM_UNAVAILABLE for r, _ in results)
    assert max(s for _, s in results) < LLM_TIMEOUT + MARGIN, [round(s, 2) for _, s in results]


@pytest.fixture
def stalling_llm():
    """An OpenAI-compatible stub that starts answering, then sends nothing more for a minute. Streamed: the
    reply up to `config["upto"]` ("sentence": one whole cited sentence and the start of the next; "clause":
    only a clause, so nothing is complete when it stalls); not streamed: the first bytes of its JSON."""
    config = {"upto": "sentence"}

    async def completions(request):
        body = await request.json()
        reply = reply_for(body["messages"])
        first = reply[:reply.index("。") + 3] if config["upto"] == "sentence" else reply[:reply.index("，") + 1]

        async def stalled():
            if body.get("stream"):
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "stub",
                         "choices": [{"index": 0, "delta": {"content": first}, "finish_reason": None}]}
                yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
            else:
                yield '{"id": "x", "object": "chat.completion", '
            await asyncio.sleep(60)

        media = "text/event-stream" if body.get("stream") else "application/json"
        return StreamingResponse(stalled(), media_type=media)

    port = free_port()
    app = Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "stalling stub did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/v1", config
    server.should_exit = True
    thread.join(timeout=10)


def test_llm_stalling_midway_is_cut_at_the_timeout(seed_fake_settings, stalling_llm):
    """Not streamed, or streamed before a whole sentence came: the extractive answer. Streamed after a
    sentence went out to the user: that text stays, marked as cut. All within the timeout."""
    stub, config = stalling_llm
    with llm_app(seed_fake_settings, stub) as url:
        httpx.post(f"{url}/api/chat", json={"question": "预热：" + ANSWERABLE}, timeout=60)
        plain, plain_s = timed_post(f"{url}/api/chat", {"question": ANSWERABLE})
        cut, cut_s = timed_post(f"{url}/api/chat/stream", {"question": ANSWERABLE})
        config["upto"] = "clause"
        early, early_s = timed_post(f"{url}/api/chat/stream", {"question": ANSWERABLE})
    assert max(plain_s, cut_s, early_s) < LLM_TIMEOUT + MARGIN, (plain_s, cut_s, early_s)
    assert plain.json()["mode"] == "extractive" and plain.json()["notice"] == LLM_UNAVAILABLE
    events = sse_events(cut)
    text = "".join(json.loads(d)["text"] for e, d in events if e == "delta")
    assert text.startswith("根据规定，") and text.count("。") == 1 and "回答不完整" in text
    assert events[-1][0] == "done" and "中断" in json.loads(events[-1][1])["notice"]
    events = sse_events(early)
    assert json.loads(events[-1][1]) == {"refused": False, "mode": "extractive", "notice": LLM_UNAVAILABLE}
    assert "根据规定" not in "".join(json.loads(d)["text"] for e, d in events if e == "delta")
