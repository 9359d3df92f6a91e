"""Chroma as a server shared by several API workers: index changes reach every worker, outages are 503s
with a plain message, and everything recovers when the server comes back — all without restarting the API.

Real processes throughout (`chroma run`, `assistant ingest`, `uvicorn --workers 2`) with the fake embedder.
A worker is addressed through a kept-alive connection: `/healthz` on it names the worker's pid, and every
request on the same connection goes to that worker.
"""

from __future__ import annotations

import os
import signal
import time
from types import SimpleNamespace

import httpx
import pytest

from assistant.api.refresher import refresh_once
from assistant.components import Components, open_store
from assistant.errors import ConfigError, IndexMissingError, StoreUnavailableError
from assistant.settings import Settings, load_settings
from assistant.store import connection
from tests.processes import BIN, ApiServer, ChromaServer, Process, fake_env, pinned_workers, run_cli
from tests.servers import free_port

DOC_A = """# 某市数据安全管理办法

第一条 为了规范数据处理活动，保障数据安全，促进数据开发利用，制定本办法。
第二条 本办法适用于本市行政区域内的数据处理活动及其安全监管。
第三条 数据处理者应当建立健全全流程数据安全管理制度，组织开展数据安全教育培训。
"""
DOC_B = """# 某市量子通信试点管理办法

第一条 为了推进量子通信试点建设，规范量子密钥分发网络的运行，制定本办法。
第二条 量子通信试点单位应当建立量子密钥管理台账，定期报送运行情况。
第三条 本办法自印发之日起施行，试点期限为三年。
"""
NEW_QUERY = "量子通信试点的密钥管理台账"
QUESTION = "数据处理者应当建立什么制度？"
PROPAGATION_LIMIT = 5.0  # seconds from a document's commit (its record written) until every worker finds it


@pytest.fixture
def chroma(tmp_path):
    server = ChromaServer(tmp_path / "chroma-data", free_port(), tmp_path / "chroma.log")
    yield server
    server.stop()


def _doc_ids(client: httpx.Client, query: str) -> set[str]:
    r = client.post("/api/search", json={"query": query, "k": 10})
    assert r.status_code == 200, r.text
    return {hit["doc_id"] for hit in r.json()["results"]}


def _wait(check, timeout: float, step: float = 0.1):
    """Seconds until check() is truthy; fails after `timeout`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not reached within {timeout} s")
        time.sleep(step)
    return time.monotonic() - started


def _plain_503(r: httpx.Response, *fragments: str) -> None:
    assert r.status_code == 503, r.text
    detail = r.json()["detail"]
    assert all(f in detail for f in fragments), detail
    assert "Traceback" not in r.text


def test_chroma_url_is_validated():
    assert Settings(chroma_url=" http://127.0.0.1:8001/ ").chroma_url == "http://127.0.0.1:8001"
    for bad in ("127.0.0.1:8001", "ftp://h:1", "http://h:8001/api", "http://h:99999"):
        with pytest.raises(ConfigError, match="ASSISTANT_CHROMA_URL"):
            load_settings(chroma_url=bad)


@pytest.mark.slow  # about 30 s: two CLI runs and two API workers start on two shared cores
def test_new_document_reaches_both_workers_and_outages_recover(tmp_path, chroma):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "data.md").write_text(DOC_A, encoding="utf-8")
    chroma.start()
    env = fake_env(tmp_path, chroma.url)
    run_cli("ingest", str(corpus), env=env, cwd=tmp_path)
    api = ApiServer(free_port(), env, tmp_path / "api.log", tmp_path)
    ingest = Process([str(BIN / "assistant"), "ingest", str(corpus)], tmp_path / "ingest.log", env, tmp_path)
    workers: dict[int, httpx.Client] = {}
    try:
        api.start()
        workers = pinned_workers(api.url)
        for client in workers.values():
            assert "data.md" in _doc_ids(client, QUESTION)
            assert "quantum.md" not in _doc_ids(client, NEW_QUERY)

        # a new document, ingested by another process, reaches every worker; timed from its commit point
        (corpus / "quantum.md").write_text(DOC_B, encoding="utf-8")
        ingest.start()
        store = open_store(Settings(chroma_url=chroma.url, embedder="fake", index_dir=tmp_path / "index"))
        _wait(lambda: store.document("quantum.md") is not None, 60, step=0.02)
        committed = time.monotonic()
        seen: dict[int, float] = {}
        while len(seen) < len(workers) and time.monotonic() - committed < PROPAGATION_LIMIT + 5:
            for pid, client in workers.items():
                if pid not in seen and "quantum.md" in _doc_ids(client, NEW_QUERY):
                    seen[pid] = time.monotonic() - committed
            time.sleep(0.05)
        print(f"\nnew document visible per worker after its commit: {', '.join(f'{s:.2f} s' for s in seen.values())}")
        assert len(seen) == 2 and max(seen.values()) <= PROPAGATION_LIMIT, seen
        assert ingest.proc.wait(timeout=60) == 0, ingest.output()
        assert {c.get("/healthz").json()["pid"] for c in workers.values()} == set(workers)  # still pinned

        # Chroma stops: every worker says so in plain Chinese, on /readyz and on the question endpoints
        chroma.stop()
        for client in workers.values():
            _plain_503(client.get("/readyz"), "无法连接向量库服务", chroma.url, "chroma run")
            _plain_503(client.post("/api/chat", json={"question": QUESTION}), "无法连接向量库服务", "chroma run")
            _plain_503(client.post("/api/search", json={"query": QUESTION}), "无法连接向量库服务")
            assert client.get("/healthz").status_code == 200  # alive, just not ready
        time.sleep(2.5)  # let a refresh tick fail too: it must not take the index away

        # Chroma comes back on the same path and port: ready again, same API processes
        chroma.start()
        back = time.monotonic()
        for client in workers.values():
            _wait(lambda c=client: c.get("/readyz").status_code == 200, 10)
            r = client.post("/api/chat", json={"question": QUESTION})
            assert r.status_code == 200 and r.json()["citations"], r.text
            assert "quantum.md" in _doc_ids(client, NEW_QUERY)
        print(f"ready again {time.monotonic() - back:.2f} s after Chroma restarted")
        assert api.proc.poll() is None
    finally:
        for client in workers.values():
            client.close()
        ingest.stop()
        api.stop()
    assert "Traceback" not in api.output()


def test_api_started_before_chroma_and_before_the_index_becomes_ready(tmp_path, chroma):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "data.md").write_text(DOC_A, encoding="utf-8")
    env = fake_env(tmp_path, chroma.url, ASSISTANT_REFRESH_SECONDS="0.5")
    api = ApiServer(free_port(), env, tmp_path / "api.log", tmp_path, workers=1)
    try:
        api.start()
        _plain_503(httpx.get(f"{api.url}/readyz"), "无法连接向量库服务", chroma.url)
        _plain_503(httpx.post(f"{api.url}/api/search", json={"query": QUESTION}), "无法连接向量库服务")

        chroma.start()  # reachable but empty: the reason changes to the missing index
        _wait(lambda: "assistant ingest" in httpx.get(f"{api.url}/readyz").json().get("detail", ""), 10)
        _plain_503(httpx.post(f"{api.url}/api/chat", json={"question": QUESTION}), "没有集合", "assistant ingest")

        run_cli("ingest", str(corpus), env=env, cwd=tmp_path)

        def answered() -> bool:
            r = httpx.post(f"{api.url}/api/search", json={"query": QUESTION})
            return r.status_code == 200 and [h["doc_id"] for h in r.json()["results"]][:1] == ["data.md"]

        seconds = _wait(answered, 10)
        print(f"\nsearch answers from the new index {seconds:.2f} s after ingest ended")
        assert httpx.get(f"{api.url}/readyz").status_code == 200
        assert httpx.get(f"{api.url}/healthz").json()["index_loaded"] is True
    finally:
        api.stop()
    assert "Traceback" not in api.output()


def test_store_calls_turn_a_lost_server_into_store_unavailable(tmp_path, chroma):
    """In process: each store call the request path makes, the retriever's refresh, and a rebuilt index."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "data.md").write_text(DOC_A, encoding="utf-8")
    chroma.start()
    settings = Settings(chroma_url=chroma.url, embedder="fake", index_dir=tmp_path / "index",
                        embedding_cache=tmp_path / "cache.sqlite")
    parts = Components.load(settings, create=True)
    assert parts.retriever().search(QUESTION) == []  # an index with no documents yet is empty, not an error
    parts.ingestor().run([tmp_path / "corpus"])
    retriever = parts.retriever()
    store, before = parts.store, list(retriever.chunks)
    assert not (tmp_path / "index" / "chroma").exists()  # server mode keeps no local Chroma

    chroma.stop()
    calls = {"documents": store.documents, "load_chunks": store.load_chunks, "count": store.chunks.count,
             "chunk_vectors": lambda: store.chunk_vectors([before[0].id]), "sentence_vectors": store.sentence_vectors,
             "search": lambda: retriever.search(QUESTION), "refresh": retriever.refresh,
             "open": lambda: Components.load(settings)}
    for name, call in calls.items():
        with pytest.raises(StoreUnavailableError, match=f"无法连接向量库服务 {chroma.url}") as err:
            call()
        assert "chroma run" in str(err.value), name
    assert retriever.chunks == before  # a failed refresh leaves the old snapshot serving

    chroma.start()  # the same client and collection objects work again
    assert store.chunks.count() == len(before)
    assert retriever.search(QUESTION)[0].chunk.doc_id == "data.md"

    # a rebuild failing halfway (document records and chunks read, sentence vectors gone): old snapshot stays
    (tmp_path / "corpus" / "quantum.md").write_text(DOC_B, encoding="utf-8")
    Components.load(settings).ingestor().run([tmp_path / "corpus"])  # another process's ingest
    store.client.delete_collection(f"{settings.collection}-sentences")
    with pytest.raises(IndexMissingError, match="集合已不存在"):
        retriever.refresh()
    assert retriever.chunks == before  # (its searches fail too: they query the lost collection)

    # the index rebuilt from scratch by another process: new collection ids; the app opens the store afresh
    app = SimpleNamespace(state=SimpleNamespace(components=None, retriever=retriever, chat=None, load_error=None))
    for name in [c.name for c in store.client.list_collections()]:
        store.client.delete_collection(name)
    with pytest.raises(IndexMissingError, match="assistant ingest"):
        store.documents()
    with pytest.raises(IndexMissingError, match="没有集合"):
        refresh_once(app, settings)  # nothing there yet: out of service, with the reason
    assert app.state.retriever is None and "没有集合" in str(app.state.load_error)
    Components.load(settings, create=True).ingestor().run([tmp_path / "corpus"])
    assert refresh_once(app, settings) == "loaded"
    assert app.state.load_error is None and app.state.chat.retriever is app.state.retriever
    assert app.state.retriever.search(QUESTION)[0].chunk.doc_id == "data.md"
    assert app.state.retriever.search(NEW_QUERY)[0].chunk.doc_id == "quantum.md"


def test_a_hung_server_times_out_instead_of_holding_requests(tmp_path, chroma, monkeypatch):
    """chromadb's HTTP session waits forever by default; ours gives up after HTTP_TIMEOUT (30 s, 1 s here)."""
    monkeypatch.setattr(connection, "HTTP_TIMEOUT", httpx.Timeout(1.0, connect=1.0))
    chroma.start()
    settings = Settings(chroma_url=chroma.url, embedder="fake", index_dir=tmp_path / "index")
    store = open_store(settings, create=True)
    os.killpg(chroma.proc.pid, signal.SIGSTOP)  # alive, accepting connections, answering nothing
    try:
        for call in (store.documents, lambda: open_store(settings)):
            started = time.monotonic()
            with pytest.raises(StoreUnavailableError, match="请求超时"):
                call()
            assert time.monotonic() - started < 5
    finally:
        os.killpg(chroma.proc.pid, signal.SIGCONT)
    assert store.documents() == []  # and works again once the server answers


@pytest.mark.slow  # two API workers and a CLI ingest on two shared cores
def test_documents_api_changes_reach_the_other_worker(tmp_path, chroma):
    """An upload and a supersede made through one worker are seen by the other (it refreshes from the store)."""
    key = "documents-admin-key-0123456789"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "data.md").write_text(DOC_A, encoding="utf-8")
    chroma.start()
    env = fake_env(tmp_path, chroma.url, ASSISTANT_ADMIN_KEY=key, ASSISTANT_CORPUS_DIR=str(corpus),
                   ASSISTANT_REFRESH_SECONDS="0.5")
    run_cli("ingest", str(corpus), env=env, cwd=tmp_path)
    api = ApiServer(free_port(), env, tmp_path / "api.log", tmp_path)
    workers: dict[int, httpx.Client] = {}
    auth = {"Authorization": f"Bearer {key}"}
    try:
        api.start()
        workers = pinned_workers(api.url)
        first, second = workers.values()
        r = first.post("/api/documents", headers=auth, files={"file": ("量子.md", DOC_B.encode())})
        assert r.status_code == 201, r.text
        assert "uploads/量子.md" in _doc_ids(first, NEW_QUERY)  # at once on the worker that took it
        print(f"\nupload visible on the other worker after {_wait(lambda: 'uploads/量子.md' in _doc_ids(second, NEW_QUERY), 5):.2f} s")

        revised = DOC_B.replace("三年", "五年")
        r = first.post("/api/documents", headers=auth, data={"supersedes": "uploads/量子.md"},
                       files={"file": ("量子2.md", revised.encode())})
        assert r.status_code == 201, r.text

        def ranked_below(client: httpx.Client) -> bool:
            hits = client.post("/api/search", json={"query": "量子通信试点期限", "k": 10}).json()["results"]
            order = [h["doc_id"] for h in hits]
            return order.index("uploads/量子2.md") < order.index("uploads/量子.md") if "uploads/量子2.md" in order \
                else False

        assert ranked_below(first)
        _wait(lambda: ranked_below(second), 5)
        assert second.get("/api/documents/uploads/量子.md", headers=auth).json()["status"] == "superseded"
        assert second.delete("/api/documents/uploads/量子2.md", headers=auth).status_code == 200
        _wait(lambda: "uploads/量子2.md" not in _doc_ids(first, NEW_QUERY), 5)
    finally:
        for client in workers.values():
            client.close()
        api.stop()
    assert "Traceback" not in api.output()
