"""LLM mode over real HTTP: our uvicorn app talking to the loopback OpenAI-compatible stub (tests/llm_stub.py),
including its slow, failing, broken and absent variants."""

from __future__ import annotations

import json
import re
import time

import httpx
import openai
import pytest

from assistant.answer import Turn
from assistant.answer.llm import UNSUPPORTED
from assistant.components import Components
from assistant.grounding.llm import LLM_UNAVAILABLE
from tests.llm_stub import UNSUPPORTED_SENTENCE, closed_url, running_stub
from tests.servers import running_app
from tests.test_chat_api import ANSWERABLE, OFF_TOPIC, markers, sse_events

TIMEOUT = 1.0


def llm_settings(base, url: str):
    return base.model_copy(update={"llm_base_url": url, "llm_model": "stub", "llm_timeout": TIMEOUT})


@pytest.fixture(scope="module")
def stub():
    with running_stub("ok") as (url, state):
        yield url, state


@pytest.fixture(scope="module")
def llm_app(seed_fake_settings, stub):
    with running_app(llm_settings(seed_fake_settings, stub[0])) as url:
        yield url


def test_llm_answer_keeps_valid_markers_and_flags_unsupported(llm_app):
    body = httpx.post(f"{llm_app}/api/chat", json={"question": ANSWERABLE}).json()
    assert body["mode"] == "llm" and body["refused"] is False and body["citations"]
    assert body["answer"].startswith("根据规定，") and "[1]" in body["answer"]
    assert "[9]" not in body["answer"] and markers(body["answer"]) <= {c["n"] for c in body["citations"]}
    assert UNSUPPORTED_SENTENCE.rstrip("。") + UNSUPPORTED in body["answer"]
    assert "无引用依据" in body["notice"]


def test_llm_stream_matches_the_plain_answer(llm_app):
    plain = httpx.post(f"{llm_app}/api/chat", json={"question": ANSWERABLE}).json()
    events = sse_events(httpx.post(f"{llm_app}/api/chat/stream", json={"question": ANSWERABLE}))
    assert events[0][0] == "citations" and events[-1][0] == "done"
    assert "".join(json.loads(d)["text"] for e, d in events if e == "delta") == plain["answer"]
    assert json.loads(events[-1][1]) == {"refused": False, "mode": "llm", "notice": plain["notice"]}


def test_llm_through_the_openai_compatible_endpoint(llm_app):
    client = openai.OpenAI(base_url=f"{llm_app}/v1", api_key="unused")
    chunks = list(client.chat.completions.create(model="policy-assistant", stream=True,
                                                 messages=[{"role": "user", "content": ANSWERABLE}]))
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert content.startswith("根据规定，") and "[9]" not in content and "参考条文：\n[1]" in content
    assert chunks[-1].model_dump()["mode"] == "llm"


def test_refusal_happens_before_the_model_is_called(llm_app, stub):
    before = len(stub[1].requests)
    body = httpx.post(f"{llm_app}/api/chat", json={"question": OFF_TOPIC}).json()
    assert body["refused"] is True and body["citations"]
    assert len(stub[1].requests) == before


def test_follow_up_is_rewritten_by_the_model(seed_fake_settings, stub):
    service = Components.load(llm_settings(seed_fake_settings, stub[0])).chat()
    history = [Turn("user", "专题培训一般安排多长时间？"), Turn("assistant", "以短期为主。")]
    answer = service.answer("那要多久？", history)
    assert answer.query == "专题培训一般安排多长时间？ 那要多久？"  # the stub's rewrite
    assert answer.mode == "llm" and not answer.refused


@pytest.mark.parametrize("mode", ["slow", "fail", "closed"])
def test_unavailable_model_falls_back_to_extractive(seed_fake_settings, mode):
    with running_stub("ok" if mode == "closed" else mode) as (url, _):
        target = closed_url() if mode == "closed" else url
        with running_app(llm_settings(seed_fake_settings, target)) as app_url:
            started = time.monotonic()
            body = httpx.post(f"{app_url}/api/chat", json={"question": ANSWERABLE}, timeout=10).json()
            assert time.monotonic() - started < TIMEOUT + 2
            assert body["mode"] == "extractive" and body["notice"] == LLM_UNAVAILABLE
            assert "20%以上[1]" in body["answer"] and body["citations"]
            events = sse_events(httpx.post(f"{app_url}/api/chat/stream", json={"question": ANSWERABLE}, timeout=10))
            assert [e for e, _ in events][0] == "citations"
            assert json.loads(events[-1][1]) == {"refused": False, "mode": "extractive", "notice": LLM_UNAVAILABLE}
            history = [{"role": "user", "content": "专题培训一般安排多长时间？"}]
            follow = httpx.post(f"{app_url}/api/chat", json={"question": "那要多久？", "history": history},
                                timeout=10).json()
            assert follow["notice"] == LLM_UNAVAILABLE and "1周左右" in follow["answer"]


def test_stream_broken_midway_is_marked_incomplete(seed_fake_settings):
    with running_stub("broken") as (url, _), running_app(llm_settings(seed_fake_settings, url)) as app_url:
        events = sse_events(httpx.post(f"{app_url}/api/chat/stream", json={"question": ANSWERABLE}, timeout=10))
        text = "".join(json.loads(d)["text"] for e, d in events if e == "delta")
        assert text.startswith("根据规定，") and "回答不完整" in text
        done = json.loads(events[-1][1])
        assert done["mode"] == "llm" and "中断" in done["notice"]
        plain = httpx.post(f"{app_url}/api/chat", json={"question": ANSWERABLE}, timeout=10).json()
        assert plain["mode"] == "llm" and re.search(r"\[1\]", plain["answer"])  # not streamed: the stub answers whole
