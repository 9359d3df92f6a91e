"""Several knowledge bases behind one server, over real HTTP (uvicorn, fake embedder): two knowledge bases hold
contradicting texts — `default` says 蓝湖 pays 500 yuan, `jiwei` says 红山 pays 900 — and every route that reads
passages (search, chat, stream, /v1, tolerance, course pack, documents) answers from the one the request names
and that its caller may use, never from the other. Plus names, widget key scopes, the CLI and the question log."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from typer.testing import CliRunner

from assistant.api.refresher import load_services, refresh_others
from assistant.cli import app as cli
from assistant.components import Components
from assistant.errors import ConflictError, RejectedUploadError, UnknownKnowledgeBaseError
from assistant.knowledge_bases import KnowledgeBases
from assistant.settings import Settings, WidgetKey
from assistant.store.knowledge_bases import check_new_name
from assistant.widget.access import WidgetAccess
from tests.conftest import SEED_CORPUS
from tests.servers import running_app
from tests.test_chat_api import sse_events

ADMIN = "kb-admin-key-0123456789abcdef"
PORTAL, JW_PORTAL = "https://portal.example.cn", "https://jw.example.cn"
KEYS = {"portal": [PORTAL], "jw": {"origins": [JW_PORTAL], "kbs": ["jiwei"]},
        "both": {"origins": [PORTAL], "kbs": ["default", "jiwei"]}}
NOTICE = """关于{city}乡镇干部工作补贴标准的通知

第一条 {city}乡镇干部工作补贴按月发放，标准为每人每月{amount}。
第二条 补贴发放对象为在{city}乡镇机关连续工作满一年的干部。
"""
# knowledge base → (doc id prefix, the amount its notice states, the amount only the other one states)
KBS = {"default": ("lanhu", "五百元", "九百元"), "jiwei": ("hongshan", "九百元", "五百元")}
QUESTION = "乡镇干部工作补贴标准是每人每月多少元？"
SITUATION = ("为了赶在汛期前完成老旧小区改造，我主持召开专题会集体研究，决定对几个金额较小的工程用公开抽签的办法确定施工队，"
             "后来被举报不符合政府采购规定。我跟这些施工队没有任何利益往来，也没有收任何好处费。这种情况能容错吗？")
TOPIC = "被问责处分干部"
TIMEOUT = 120.0


def corpus_for(root: Path, prefix: str, city: str, amount: str) -> Path:
    """The sample corpus and a notice, all under `<prefix>/` (so every doc id names its knowledge base)."""
    shutil.copytree(SEED_CORPUS / "policies", root / prefix / "policies")
    rows = (SEED_CORPUS / "CATALOG.tsv").read_text(encoding="utf-8").splitlines()
    (root / "CATALOG.tsv").write_text("\n".join([rows[0], *(f"{prefix}/{r}" for r in rows[1:])]) + "\n", "utf-8")
    (root / prefix / "butie.md").write_text(NOTICE.format(city=city, amount=amount), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("kbs")
    s = Settings(_env_file=None, index_dir=root / "index", corpus_dir=root / "uploads", embedder="fake",
                 embedding_cache=root / "cache.sqlite", refuse_threshold=0.3, admin_key=ADMIN, widget_keys=KEYS,
                 widget_rate_per_minute=0)
    for kb, (prefix, amount, _) in KBS.items():
        corpus = corpus_for(root / f"corpus-{kb}", prefix, "蓝湖市" if kb == "default" else "红山市", amount)
        report = Components.load(s, create=True, kb=kb).ingestor().run([corpus])
        assert report.documents == 2 and not report.skipped
    return s


@pytest.fixture(scope="module")
def url(settings):
    with running_app(settings) as base:
        yield base


def events(response: httpx.Response) -> list[tuple[str, object]]:
    """(event, data) of a server-sent event stream, data parsed from JSON (except OpenAI's [DONE])."""
    return [(name, data if data == "[DONE]" else json.loads(data)) for name, data in sse_events(response)]


def post(url: str, path: str, body: dict, **headers) -> httpx.Response:
    return httpx.post(f"{url}{path}", json=body, headers=headers, timeout=TIMEOUT)


def doc_ids(passages: list[dict]) -> set[str]:
    return {p["doc_id"] for p in passages}


def only_from(kb: str, passages: list[dict]) -> None:
    """Every passage comes from the knowledge base's documents, none quotes the other's amount."""
    prefix, _, other = KBS[kb]
    assert passages, "no passages at all"
    assert all(p["doc_id"].startswith(f"{prefix}/") for p in passages), doc_ids(passages)
    assert not any(other in p["text"] for p in passages)


ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}


# --- the isolation, route by route ----------------------------------------------------------------------
@pytest.mark.parametrize("kb", list(KBS))
def test_search_reads_only_the_named_knowledge_base(url, kb):
    r = post(url, "/api/search", {"query": QUESTION, "k": 20, "kb": kb}, **ADMIN_AUTH)
    assert r.status_code == 200, r.text
    only_from(kb, r.json()["results"])
    assert KBS[kb][1] in r.json()["results"][0]["text"]


def test_search_without_kb_is_the_default_one(url):
    r = post(url, "/api/search", {"query": QUESTION, "k": 20})
    assert r.status_code == 200
    only_from("default", r.json()["results"])


@pytest.mark.parametrize("kb", list(KBS))
def test_chat_answers_from_the_named_knowledge_base(url, kb):
    r = post(url, "/api/chat", {"question": QUESTION, "kb": kb}, **ADMIN_AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    only_from(kb, body["citations"])
    assert KBS[kb][1] in body["answer"] and KBS[kb][2] not in body["answer"]


@pytest.mark.parametrize("kb", list(KBS))
def test_stream_answers_from_the_named_knowledge_base(url, kb):
    with httpx.stream("POST", f"{url}/api/chat/stream", json={"question": QUESTION, "kb": kb}, headers=ADMIN_AUTH,
                      timeout=TIMEOUT) as r:
        r.read()
    assert r.status_code == 200
    got = events(r)
    assert got[0][0] == "citations" and got[-1][0] == "done"
    only_from(kb, got[0][1]["citations"])
    text = "".join(data["text"] for name, data in got if name == "delta")
    assert KBS[kb][1] in text and KBS[kb][2] not in text


@pytest.mark.parametrize("how", ["field", "model"])
def test_openai_route_answers_from_the_named_knowledge_base(url, how):
    body = {"messages": [{"role": "user", "content": QUESTION}]}
    body |= {"kb": "jiwei"} if how == "field" else {"model": "policy-assistant:jiwei"}
    r = post(url, "/v1/chat/completions", body, **ADMIN_AUTH)
    assert r.status_code == 200, r.text
    only_from("jiwei", r.json()["citations"])
    content = r.json()["choices"][0]["message"]["content"]
    assert "九百元" in content and "五百元" not in content
    with httpx.stream("POST", f"{url}/v1/chat/completions", json={**body, "stream": True}, headers=ADMIN_AUTH,
                      timeout=TIMEOUT) as r:
        r.read()
    chunks = [data for _, data in events(r) if data != "[DONE]"]
    only_from("jiwei", chunks[0]["citations"])
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "九百元" in streamed and "五百元" not in streamed


def test_openai_model_and_kb_must_agree(url):
    body = {"messages": [{"role": "user", "content": QUESTION}], "model": "policy-assistant:jiwei", "kb": "default"}
    r = post(url, "/v1/chat/completions", body, **ADMIN_AUTH)
    assert r.status_code == 422 and "不一致" in r.json()["detail"]


@pytest.mark.parametrize("kb", list(KBS))
def test_tolerance_cites_only_the_named_knowledge_base(url, kb):
    r = post(url, "/api/tolerance", {"situation": SITUATION, "kb": kb}, **ADMIN_AUTH)
    assert r.status_code == 200, r.text
    only_from(kb, r.json()["citations"])


@pytest.mark.parametrize("kb", list(KBS))
def test_course_pack_quotes_only_the_named_knowledge_base(url, kb):
    r = post(url, "/api/course-pack", {"topic": TOPIC, "kb": kb}, **ADMIN_AUTH)
    assert r.status_code == 200, r.text
    only_from(kb, r.json()["pack"]["sources"])


def test_documents_api_per_knowledge_base(url):
    listed = {kb: httpx.get(f"{url}/api/documents", params={"kb": kb}, headers=ADMIN_AUTH).json()["documents"]
              for kb in KBS}
    for kb, (prefix, _, _) in KBS.items():
        assert {d["doc_id"].split("/")[0] for d in listed[kb]} == {prefix}
    got = httpx.get(f"{url}/api/documents/hongshan/butie.md", params={"kb": "jiwei"}, headers=ADMIN_AUTH)
    assert got.status_code == 200 and got.json()["doc_id"] == "hongshan/butie.md"
    assert httpx.get(f"{url}/api/documents/hongshan/butie.md", headers=ADMIN_AUTH).status_code == 404

    notice = NOTICE.format(city="青石镇", amount="一千二百元").replace("工作补贴", "交通补贴")
    r = httpx.post(f"{url}/api/documents", params={"kb": "jiwei"}, headers=ADMIN_AUTH, timeout=TIMEOUT,
                   files={"file": ("qingshi.md", notice.encode())})
    assert r.status_code == 201, r.text
    query = {"query": "青石镇乡镇干部交通补贴", "k": 20}
    found = post(url, "/api/search", {**query, "kb": "jiwei"}, **ADMIN_AUTH).json()["results"]
    assert any("一千二百元" in p["text"] for p in found)  # searchable at once, in its knowledge base only
    found = post(url, "/api/search", query).json()["results"]
    assert not any("一千二百元" in p["text"] for p in found)
    r = httpx.delete(f"{url}/api/documents/uploads/qingshi.md", params={"kb": "jiwei"}, headers=ADMIN_AUTH)
    assert r.status_code == 200


# --- who may ask which --------------------------------------------------------------------------------
ROUTES = {"/api/search": {"query": QUESTION}, "/api/chat": {"question": QUESTION},
          "/api/chat/stream": {"question": QUESTION}, "/api/tolerance": {"situation": SITUATION},
          "/api/course-pack": {"topic": TOPIC},
          "/v1/chat/completions": {"messages": [{"role": "user", "content": QUESTION}]}}


@pytest.mark.parametrize("path", list(ROUTES))
@pytest.mark.parametrize("caller, kb", [
    ({"Origin": PORTAL, "X-Widget-Key": "portal"}, "jiwei"),  # a key given as a list of origins: default only
    ({"X-Widget-Key": "portal"}, "jiwei"),  # the same key without Origin (curl with the page's key)
    ({"Origin": JW_PORTAL, "X-Widget-Key": "jw"}, "default"),  # a key for jiwei alone
    ({}, "jiwei"),  # no key, no Origin: ASSISTANT_OPEN_KBS, default only
    ({"X-Widget-Key": "nope"}, "jiwei"),  # a key nobody configured counts as none
])
def test_a_caller_gets_403_for_a_knowledge_base_outside_its_scope(url, path, caller, kb):
    r = post(url, path, {**ROUTES[path], "kb": kb}, **caller)
    assert r.status_code == 403, r.text
    assert f"无权使用知识库「{kb}」" in r.json()["detail"]


@pytest.mark.parametrize("path", ["/api/search", "/api/chat", "/api/chat/stream"])
def test_a_key_scoped_to_a_knowledge_base_reads_it_from_its_origin(url, path):
    r = post(url, path, {**ROUTES[path], "kb": "jiwei"}, Origin=JW_PORTAL, **{"X-Widget-Key": "jw"})
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == JW_PORTAL
    if path == "/api/chat/stream":
        passages = events(r)[0][1]["citations"]
    else:
        passages = r.json()["results" if path == "/api/search" else "citations"]
    only_from("jiwei", passages)
    both = post(url, path, {**ROUTES[path], "kb": "jiwei"}, Origin=PORTAL, **{"X-Widget-Key": "both"})
    assert both.status_code == 200


def test_models_lists_what_the_caller_may_use(url):
    def ids(**headers) -> list[str]:
        return [m["id"] for m in httpx.get(f"{url}/v1/models", headers=headers).json()["data"]]

    assert ids() == ["policy-assistant"]
    assert ids(**{"X-Widget-Key": "jw"}) == ["policy-assistant:jiwei"]
    assert ids(**{"X-Widget-Key": "both"}) == ids(**ADMIN_AUTH) == ["policy-assistant", "policy-assistant:jiwei"]


@pytest.mark.parametrize("kb, status, words", [
    ("nosuch", 404, "没有名为「nosuch」的知识库"),
    ("Bad Name", 422, "小写字母"),
    ("x" * 33, 422, "最多 32"),
    ("a-sentences", 404, "没有名为"),  # another knowledge base's sentence collection, not a knowledge base
])
def test_unknown_or_malformed_knowledge_base(url, kb, status, words):
    for path in ("/api/search", "/api/chat", "/api/tolerance", "/api/course-pack"):
        r = post(url, path, {**ROUTES[path], "kb": kb}, **ADMIN_AUTH)
        assert r.status_code == status and words in r.json()["detail"], (path, r.text)
    r = httpx.get(f"{url}/api/documents", params={"kb": kb}, headers=ADMIN_AUTH)
    assert r.status_code == status and words in r.json()["detail"]


def test_widget_key_scopes_and_open_knowledge_bases():
    access = WidgetAccess({"a": ["https://a.example"], "b": WidgetKey(origins=["https://b.example"], kbs=["x", "y"])},
                          open_kbs=["default", "public"])
    assert access.kbs_for("a") == {"default"} and access.kbs_for("b") == {"x", "y"}
    assert access.kbs_for(None) == access.kbs_for("unknown") == {"default", "public"}
    assert access.refusal("b", "https://b.example") is None  # origins work as before for the object form
    assert WidgetAccess({}, ["*"]).kbs_for(None) == {"*"}
    s = Settings(_env_file=None, widget_keys={"jw": {"origins": ["HTTPS://JW.example.cn:443/"], "kbs": ["jiwei"]}})
    assert s.widget_keys["jw"] == WidgetKey(origins=["https://jw.example.cn"], kbs=["jiwei"])
    with pytest.raises(ValueError):
        Settings(_env_file=None, widget_keys={"jw": {"origins": [], "kbs": ["Bad Name"]}})


# --- names, the registry, the CLI and the log -------------------------------------------------------------
def test_names_a_new_knowledge_base_may_take():
    assert check_new_name("zuzhibu-2024") == "zuzhibu-2024"
    for bad in ("", "Jiwei", "-x", "x-", "a.b", "中文", "x" * 33):
        with pytest.raises(RejectedUploadError, match="小写字母|最多|不能为空"):
            check_new_name(bad)
    for reserved in ("a-sentences", "a-documents"):
        with pytest.raises(RejectedUploadError, match="后缀"):
            check_new_name(reserved)
    with pytest.raises(ConflictError):
        check_new_name("default")


def test_registry_shares_the_heavy_parts_and_opens_lazily(settings):
    kbs = KnowledgeBases(settings)
    assert kbs.names() == ["default", "jiwei"] and kbs.loaded() == {}
    jiwei, default = kbs.get("jiwei"), kbs.get("default")
    assert jiwei.embeddings is default.embeddings and jiwei.tokenizer is default.tokenizer
    assert jiwei.tolerance().analyzer is default.tolerance().analyzer
    with pytest.raises(UnknownKnowledgeBaseError, match="没有名为「nosuch」"):
        kbs.get("nosuch")
    assert set(kbs.loaded()) == {"default", "jiwei"}


def test_cli_creates_ingests_lists_and_deletes(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_EMBEDDING_CACHE", str(tmp_path / "cache.sqlite"))
    runner, index = CliRunner(), ["--index-dir", str(tmp_path / "index")]
    corpus = corpus_for(tmp_path / "corpus", "hongshan", "红山市", "九百元")
    assert runner.invoke(cli, ["ingest", str(corpus), "--kb", "jiwei", *index]).exit_code == 0
    assert runner.invoke(cli, ["kb", "create", "dangxiao", *index]).exit_code == 0
    listed = runner.invoke(cli, ["kb", "list", "--json", *index])
    assert json.loads(listed.stdout) == [{"name": "dangxiao", "documents": 0, "chunks": 0},
                                         {"name": "jiwei", "documents": 2, "chunks": json.loads(listed.stdout)[1]["chunks"]}]
    found = runner.invoke(cli, ["search", "红山市乡镇干部补贴", "--kb", "jiwei", "--json", *index])
    assert found.exit_code == 0 and "九百元" in found.stdout
    missing = runner.invoke(cli, ["search", "补贴", "--kb", "nosuch", *index])
    assert missing.exit_code == 1 and "没有名为「nosuch」的知识库" in missing.stderr
    again = runner.invoke(cli, ["kb", "create", "jiwei", *index])
    assert again.exit_code == 1 and "已存在" in again.stderr
    assert runner.invoke(cli, ["kb", "delete", "default", "--yes", *index]).exit_code == 1
    assert runner.invoke(cli, ["kb", "delete", "jiwei", "--yes", *index]).exit_code == 0
    assert json.loads(runner.invoke(cli, ["kb", "list", "--json", *index]).stdout) == [
        {"name": "dangxiao", "documents": 0, "chunks": 0}]


def test_question_log_records_the_knowledge_base(settings, tmp_path):
    with running_app(settings.model_copy(update={"question_log_dir": tmp_path / "log"})) as base:
        assert post(base, "/api/chat", {"question": QUESTION, "kb": "jiwei"}, **ADMIN_AUTH).status_code == 200
        assert post(base, "/api/chat", {"question": QUESTION}).status_code == 200
    lines = [json.loads(line) for f in sorted((tmp_path / "log").iterdir()) for line in f.read_text("utf-8").splitlines()]
    assert [e.get("kb") for e in lines] == ["jiwei", None]  # only another than default is named


def test_refresher_keeps_every_served_knowledge_base_fresh_and_drops_deleted_ones(tmp_path):
    """What each worker's refresher does (assistant/api/refresher.py), with another process's changes."""
    s = Settings(_env_file=None, index_dir=tmp_path / "index", embedder="fake", embedding_cache=tmp_path / "c.sqlite")
    for kb, (prefix, amount, _) in KBS.items():
        Components.load(s, create=True, kb=kb).ingestor().run([corpus_for(tmp_path / kb, prefix, "某市", amount)])
    Components.load(s, create=True, kb="idle").ingestor().run([corpus_for(tmp_path / "idle", "idle", "某市", "一元")])
    app = SimpleNamespace(state=SimpleNamespace(components=None, retriever=None, chat=None, load_error=None))
    load_services(app, s)
    kbs = app.state.kbs
    served = kbs.get("jiwei").retriever()
    kbs.get("idle")  # opened (listed, say) but never searched: nothing to keep fresh, nothing loaded
    assert refresh_others(app, s) == {"jiwei": "unchanged", "idle": "unchanged"}
    assert "retriever" not in kbs.get("idle")._built

    other = KnowledgeBases(s)  # another process: an ingest into jiwei, then jiwei deleted
    (tmp_path / "jiwei" / "hongshan" / "new.md").write_text(NOTICE.format(city="青石镇", amount="一千二百元"), "utf-8")
    other.get("jiwei").ingestor().run([tmp_path / "jiwei"])
    assert not any("青石镇" in h.chunk.text for h in served.search("青石镇乡镇干部工作补贴", k=5))
    assert refresh_others(app, s)["jiwei"] == "refreshed"
    assert any("青石镇" in h.chunk.text for h in served.search("青石镇乡镇干部工作补贴", k=5))
    other.delete("jiwei")
    assert refresh_others(app, s)["jiwei"] == "forgotten"
    assert "jiwei" not in kbs.loaded()
    with pytest.raises(UnknownKnowledgeBaseError):
        kbs.get("jiwei")
    assert app.state.retriever.search(QUESTION, k=3)  # default untouched throughout


@pytest.mark.slow  # a chroma run server, CLI runs and two API workers on two shared cores
def test_knowledge_base_changes_reach_every_worker(tmp_path):
    """Two uvicorn workers on one Chroma server: an upload to jiwei through one worker is found by the other;
    jiwei deleted by the CLI is a 404 on both."""
    from tests.processes import ApiServer, ChromaServer, fake_env, pinned_workers, run_cli
    from tests.servers import free_port
    from tests.test_chroma_server import _wait

    chroma = ChromaServer(tmp_path / "chroma-data", free_port(), tmp_path / "chroma.log").start()
    env = fake_env(tmp_path, chroma.url, ASSISTANT_ADMIN_KEY=ADMIN, ASSISTANT_CORPUS_DIR=str(tmp_path / "uploads"),
                   ASSISTANT_REFRESH_SECONDS="0.5")
    api = ApiServer(free_port(), env, tmp_path / "api.log", tmp_path)
    workers: dict = {}
    try:
        for kb, (prefix, amount, _) in KBS.items():
            corpus = corpus_for(tmp_path / kb, prefix, "某市", amount)
            run_cli("ingest", str(corpus), "--kb", kb, env=env, cwd=tmp_path)
        api.start()
        workers = pinned_workers(api.url)
        first, second = workers.values()

        def found(client, kb: str, text: str) -> bool:
            r = client.post("/api/search", json={"query": "青石镇乡镇干部交通补贴", "k": 10, "kb": kb}, headers=ADMIN_AUTH)
            return r.status_code == 200 and any(text in p["text"] for p in r.json()["results"])

        assert not found(second, "jiwei", "一千二百元")  # jiwei now open on the second worker too
        notice = NOTICE.format(city="青石镇", amount="一千二百元").replace("工作补贴", "交通补贴")
        r = first.post("/api/documents", params={"kb": "jiwei"}, headers=ADMIN_AUTH,
                       files={"file": ("qingshi.md", notice.encode())})
        assert r.status_code == 201, r.text
        assert found(first, "jiwei", "一千二百元")
        print(f"\nupload to jiwei visible on the other worker after {_wait(lambda: found(second, 'jiwei', '一千二百元'), 10):.2f} s")
        assert not found(second, "default", "一千二百元")

        run_cli("kb", "delete", "jiwei", "--yes", env=env, cwd=tmp_path)
        for client in workers.values():
            _wait(lambda c=client: c.post("/api/search", json={"query": QUESTION, "kb": "jiwei"},
                                          headers=ADMIN_AUTH).status_code == 404, 10)
            assert client.post("/api/search", json={"query": QUESTION}).status_code == 200
    finally:
        for client in workers.values():
            client.close()
        api.stop()
        chroma.stop()
