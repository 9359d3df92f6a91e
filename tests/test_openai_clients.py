"""Real OpenAI clients against /v1 (uvicorn on a free port, the sample index, extractive mode): the openai SDK,
LangChain's ChatOpenAI and the `llm` command-line client — plain and streamed, with `usage`, and in a
conversation of several turns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from assistant.api.chat_schemas import estimate_tokens
from tests.servers import running_app

ANSWERABLE = "乡镇干部补贴比县直机关高多少？"
FIRST, FOLLOW_UP = "专题培训一般安排多长时间？", "那要多久？"  # the follow-up only makes sense after the first
LLM = Path(sys.executable).parent / "llm"


@pytest.fixture(scope="module")
def base_url(seed_fake_settings):
    with running_app(seed_fake_settings) as url:
        yield url


@pytest.fixture
def client(base_url) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused")


def check_usage(usage, question_chars: int, content: str) -> None:
    assert usage.completion_tokens == estimate_tokens(content) > 0
    assert usage.prompt_tokens >= question_chars and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_estimate_counts_cjk_characters_and_groups_of_four_others():
    assert estimate_tokens("") == 0
    assert estimate_tokens("党员参加赌博怎么处分？") == 11  # ten Han characters and a full-width mark
    assert estimate_tokens("abcdefgh") == 2 and estimate_tokens("abcde") == 2
    assert estimate_tokens("第1条 OK") == 3  # 第, 条 and ⌈5/4⌉


def test_openai_sdk_plain_has_usage_and_fingerprint(client):
    done = client.chat.completions.create(model="policy-assistant", messages=[{"role": "user", "content": ANSWERABLE}])
    content = done.choices[0].message.content
    assert "20%以上[1]" in content
    check_usage(done.usage, len(ANSWERABLE), content)
    assert done.system_fingerprint is None and "system_fingerprint" in done.model_dump()


def test_openai_sdk_stream_ends_with_a_usage_chunk(client):
    chunks = list(client.chat.completions.create(model="policy-assistant", stream=True,
                                                 stream_options={"include_usage": True},
                                                 messages=[{"role": "user", "content": ANSWERABLE}]))
    *answer, last = chunks
    assert last.choices == [] and last.usage is not None
    assert all(c.usage is None for c in answer) and answer[-1].choices[0].finish_reason == "stop"
    content = "".join(c.choices[0].delta.content or "" for c in answer)
    check_usage(last.usage, len(ANSWERABLE), content)
    # without include_usage: no usage chunk, as OpenAI's server does
    plain = list(client.chat.completions.create(model="policy-assistant", stream=True,
                                                messages=[{"role": "user", "content": ANSWERABLE}]))
    assert plain[-1].choices[0].finish_reason == "stop" and all(c.usage is None for c in plain)


def test_openai_sdk_conversation(client):
    messages = [{"role": "user", "content": FIRST}]
    first = client.chat.completions.create(model="policy-assistant", messages=messages)
    messages += [{"role": "assistant", "content": first.choices[0].message.content},
                 {"role": "user", "content": FOLLOW_UP}]
    second = client.chat.completions.create(model="policy-assistant", messages=messages)
    assert "1周左右" in second.choices[0].message.content
    assert second.usage.prompt_tokens > first.usage.prompt_tokens  # the whole conversation was sent


def test_langchain_chat_openai_invoke_stream_and_conversation(base_url):
    chat = ChatOpenAI(base_url=f"{base_url}/v1", api_key="unused", model="policy-assistant", stream_usage=True)
    reply = chat.invoke([SystemMessage("你是政策助手"), HumanMessage(ANSWERABLE)])
    assert "20%以上[1]" in reply.content
    assert reply.usage_metadata["output_tokens"] == estimate_tokens(reply.content)
    assert reply.usage_metadata["total_tokens"] == reply.usage_metadata["input_tokens"] + reply.usage_metadata["output_tokens"]

    streamed = None
    for piece in chat.stream([HumanMessage(ANSWERABLE)]):
        streamed = piece if streamed is None else streamed + piece
    assert streamed.content == reply.content  # same answer, in pieces
    assert streamed.usage_metadata["output_tokens"] == estimate_tokens(streamed.content)

    first = chat.invoke([HumanMessage(FIRST)])
    second = chat.invoke([HumanMessage(FIRST), AIMessage(first.content), HumanMessage(FOLLOW_UP)])
    assert "1周左右" in second.content


@pytest.fixture
def llm_env(base_url, tmp_path) -> dict[str, str]:
    """`llm` with our server registered as an OpenAI-compatible model in a private LLM_USER_PATH."""
    if not LLM.exists():
        pytest.skip("需要 llm 命令行客户端（pip install llm）")
    (tmp_path / "extra-openai-models.yaml").write_text(
        f"- model_id: policy-assistant\n  model_name: policy-assistant\n  api_base: \"{base_url}/v1\"\n",
        encoding="utf-8")
    return {**os.environ, "LLM_USER_PATH": str(tmp_path), "OPENAI_API_KEY": "unused"}


def llm(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(LLM), *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_llm_cli_plain_stream_and_conversation(llm_env):
    plain = llm(llm_env, "-m", "policy-assistant", "--no-stream", ANSWERABLE)  # stopped on the missing usage before
    assert "20%以上[1]" in plain and "参考条文" in plain
    streamed = llm(llm_env, "-m", "policy-assistant", ANSWERABLE)
    assert streamed.strip() == plain.strip()
    logged = httpx.Response(200, text=llm(llm_env, "logs", "-n", "1", "--json")).json()[0]
    assert logged["input_tokens"] > 0 and logged["output_tokens"] == estimate_tokens(streamed.rstrip("\n"))

    llm(llm_env, "-m", "policy-assistant", "--no-stream", FIRST)
    follow_up = llm(llm_env, "-c", "--no-stream", FOLLOW_UP)  # -c: continue the last conversation
    assert "1周左右" in follow_up
