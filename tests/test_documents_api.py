"""/api/documents over real HTTP: upload → search at once, supersede, withdraw; hostile uploads change nothing."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.components import Components
from assistant.settings import Settings
from tests.conftest import SEED_CORPUS
from tests.servers import running_app

KEY = "test-admin-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}

V1 = """关于乡镇干部工作补贴发放的通知（2021年）

第一条 乡镇干部工作补贴按月发放，标准为每人每月五百元。
第二条 补贴发放对象为在乡镇机关连续工作满一年的干部。
第三条 本通知自发布之日起施行。
"""
V2 = V1.replace("2021年", "2024年修订").replace("五百元", "八百元")


def _settings(root: Path) -> Settings:
    corpus = root / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    s = Settings(index_dir=root / "index", corpus_dir=corpus, embedder="fake",
                 embedding_cache=root / "cache.sqlite", admin_key=KEY)
    Components.load(s, create=True).ingestor().run([corpus])
    return s


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A fresh copy of the sample corpus and its index (fake embedder), for tests that change it."""
    return _settings(tmp_path)


@pytest.fixture
def api(settings: Settings):
    with running_app(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def unchanged_settings(tmp_path_factory) -> Settings:
    """One index for the tests whose requests must change nothing (they check that they did not)."""
    return _settings(tmp_path_factory.mktemp("documents"))


@pytest.fixture(scope="module")
def unchanged_api(unchanged_settings: Settings):
    with running_app(unchanged_settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def upload(api: httpx.Client, name: str, data: bytes | str, **fields) -> httpx.Response:
    content = data.encode() if isinstance(data, str) else data
    return api.post("/api/documents", headers=AUTH, files={"file": (name, content)},
                    data={k: str(v) for k, v in fields.items()})


def search(api: httpx.Client, query: str, k: int = 10) -> list[dict]:
    response = api.post("/api/search", json={"query": query, "k": k})
    assert response.status_code == 200, response.text
    return response.json()["results"]


def snapshot(api: httpx.Client) -> tuple:
    docs = api.get("/api/documents", headers=AUTH).json()["documents"]
    hits = [(h["doc_id"], h["text"]) for h in search(api, "干部 容错 激励")]
    return docs, hits


def test_admin_routes_need_the_key(unchanged_api: httpx.Client) -> None:
    api = unchanged_api
    assert api.get("/api/documents").status_code == 401
    assert api.get("/api/documents", headers={"Authorization": "Bearer wrong-key-wrong-key"}).status_code == 401
    refused = api.post("/api/documents", files={"file": ("a.md", b"x")})
    assert refused.status_code == 401 and "管理密钥" in refused.json()["detail"]
    assert api.delete("/api/documents/policies/shaanxi-jili-ganbu-dandang-2020.md").status_code == 401
    assert api.patch("/api/documents/x", json={"status": "superseded"}).status_code == 401
    listed = api.get("/api/documents", headers={"X-Admin-Key": KEY})
    assert listed.status_code == 200
    [doc] = listed.json()["documents"]
    assert doc["doc_id"] == "policies/shaanxi-jili-ganbu-dandang-2020.md"
    assert doc["doc_number"] == "陕组发〔2020〕1号" and doc["chunks"] > 10 and doc["ingested_at"]


def test_disabled_without_a_configured_key(tmp_path: Path) -> None:
    s = Settings(index_dir=tmp_path / "index", embedder="fake", embedding_cache=tmp_path / "c.sqlite")
    with running_app(s) as url:
        response = httpx.get(f"{url}/api/documents", headers=AUTH)
    assert response.status_code == 403 and "ASSISTANT_ADMIN_KEY" in response.json()["detail"]


def test_upload_supersede_delete_round_trip(api: httpx.Client, settings: Settings) -> None:
    first = upload(api, "补贴通知2021.md", V1, kind="policy")
    assert first.status_code == 201, first.text
    v1 = first.json()["document"]
    assert v1["doc_id"] == "uploads/补贴通知2021.md" and v1["status"] == "in_force" and v1["chunks"] >= 3
    assert (settings.corpus_dir / "uploads" / "补贴通知2021.md").read_text() == V1
    top = search(api, "乡镇干部工作补贴每月标准多少")[0]
    assert top["doc_id"] == v1["doc_id"]  # searchable as soon as the upload returns

    assert upload(api, "补贴通知2021.md", V1).status_code == 409  # same name needs replace=true

    second = upload(api, "补贴通知2024.md", V2, kind="policy", supersedes=v1["doc_id"])
    assert second.status_code == 201, second.text
    body = second.json()
    assert body["superseded"]["doc_id"] == v1["doc_id"] and body["superseded"]["status"] == "superseded"
    assert body["superseded"]["superseded_by"] == "uploads/补贴通知2024.md"
    ranked = [h["doc_id"] for h in search(api, "乡镇干部工作补贴每月标准多少")]
    assert ranked.index("uploads/补贴通知2024.md") < ranked.index(v1["doc_id"])
    old = api.get(f"/api/documents/{v1['doc_id']}", headers=AUTH).json()
    assert old["status"] == "superseded" and old["pinned"] is True

    # back in force, then superseded again through PATCH
    assert api.patch(f"/api/documents/{v1['doc_id']}", headers=AUTH, json={"status": "in_force"}).json()[
        "superseded_by"] == ""
    patched = api.patch(f"/api/documents/{v1['doc_id']}", headers=AUTH,
                        json={"superseded_by": "uploads/补贴通知2024.md"})
    assert patched.status_code == 200 and patched.json()["status"] == "superseded"

    gone = api.delete("/api/documents/uploads/补贴通知2024.md", headers=AUTH)
    assert gone.status_code == 200 and ".withdrawn" in gone.json()["note"]
    assert all(h["doc_id"] != "uploads/补贴通知2024.md" for h in search(api, "乡镇干部工作补贴每月标准多少"))
    assert not (settings.corpus_dir / "uploads" / "补贴通知2024.md").exists()
    assert list((settings.corpus_dir / ".withdrawn").glob("*补贴通知2024.md"))
    assert api.delete("/api/documents/uploads/补贴通知2024.md", headers=AUTH).status_code == 404
    assert api.get("/api/documents/nope.md", headers=AUTH).status_code == 404


def test_patch_refuses_bad_changes(unchanged_api: httpx.Client) -> None:
    api = unchanged_api
    doc = "policies/shaanxi-jili-ganbu-dandang-2020.md"
    assert api.patch("/api/documents/unknown.md", headers=AUTH, json={"status": "superseded"}).status_code == 404
    assert api.patch(f"/api/documents/{doc}", headers=AUTH, json={"superseded_by": "unknown.md"}).status_code == 404
    assert api.patch(f"/api/documents/{doc}", headers=AUTH, json={"status": "abolished"}).status_code == 422
    assert api.patch(f"/api/documents/{doc}", headers=AUTH, json={"superseded_by": doc}).status_code == 400
    assert api.patch(f"/api/documents/{doc}", headers=AUTH, content=b"{not json").status_code == 422


def _exe() -> bytes:
    return b"MZ\x90\x00" + bytes(range(256)) * 40


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.txt", "x")
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, status, words", [
    ("../../etc/passwd.md", V1, 400, "路径"),
    ("uploads/../../x.md", V1, 400, "路径"),
    ("..\\..\\x.md", V1, 400, "路径"),
    (".hidden.md", V1, 400, "开头"),
    ("报告.exe", V1, 415, "不支持"),
    ("通知.pdf", _exe(), 415, "可执行文件"),
    ("通知.docx", _zip(), 415, "不符"),
    ("通知.md", _exe(), 415, "不符"),
    ("空文件.md", b"", 400, "为空"),
    ("空白.txt", b" \n\n  ", 400, "为空"),
    ("大文件.txt", "第一条 内容。\n".encode() * (30 * 1024 * 1024 // 20), 413, "上限"),
    ("坏的.pdf", b"%PDF-1.4 not really a pdf", 400, "PDF"),
], ids=["parent-path", "nested-path", "windows-path", "hidden", "exe-suffix", "exe-as-pdf", "zip-as-docx",
        "exe-as-md", "empty", "blank", "30MB", "broken-pdf"])
def test_hostile_uploads_change_nothing(unchanged_api: httpx.Client, unchanged_settings: Settings,
                                       name, data, status, words) -> None:
    api, settings = unchanged_api, unchanged_settings
    before = snapshot(api)
    files_before = sorted(p.relative_to(settings.corpus_dir) for p in settings.corpus_dir.rglob("*"))
    response = upload(api, name, data)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert snapshot(api) == before
    files_after = sorted(p.relative_to(settings.corpus_dir) for p in settings.corpus_dir.rglob("*")
                         if p.name != ".catalog.lock")
    assert files_after == [p for p in files_before if p.name != ".catalog.lock"]


def test_malformed_upload_requests(unchanged_api: httpx.Client) -> None:
    api = unchanged_api
    before = snapshot(api)
    assert api.post("/api/documents", headers=AUTH, json={"file": "x"}).status_code == 400
    assert api.post("/api/documents", headers=AUTH, data={"kind": "policy"}).status_code == 400
    wrong_kind = upload(api, "a.md", V1, kind="poem")
    assert wrong_kind.status_code == 400 and "kind" in wrong_kind.json()["detail"]
    assert upload(api, "a.md", V1, supersedes="missing.md").status_code == 404
    garbage = api.post("/api/documents", headers={**AUTH, "Content-Type": "multipart/form-data; boundary=zz"},
                       content=b"--zz\r\nnonsense")
    assert garbage.status_code == 400
    assert snapshot(api) == before


def test_admin_status_survives_reingest(settings: Settings) -> None:
    from assistant.documents.service import DocumentService

    parts = Components.load(settings)
    service = DocumentService(parts.ingestor(), settings.corpus_dir, 1 << 20)
    service.add("v1.md", V1.encode())
    service.add("v2.md", V2.encode(), supersedes="uploads/v1.md")
    path = settings.corpus_dir / "uploads" / "v1.md"
    path.write_text(V1 + "第四条 补充规定。\n", encoding="utf-8")  # the file changes: re-parsed, re-embedded
    report = parts.ingestor().run([settings.corpus_dir])
    assert report.updated == ["uploads/v1.md"] and not report.removed
    record = service.get("uploads/v1.md")
    assert (record.status, record.superseded_by, record.pinned) == ("superseded", "uploads/v2.md", True)
    chunks, _ = parts.store.load_chunks(record.chunk_ids)
    assert {c.status for c in chunks} == {"superseded"}


def test_cli_documents(settings: Settings, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_EMBEDDING_CACHE", str(settings.embedding_cache))
    runner = CliRunner()
    source = tmp_path / "补贴.md"
    source.write_text(V1, encoding="utf-8")
    added = runner.invoke(cli, ["documents", "add", str(source), "--kind", "policy"])
    assert added.exit_code == 0, added.output
    assert "uploads/补贴.md" in added.output
    listed = runner.invoke(cli, ["documents", "list", "--json"])
    assert "uploads/补贴.md" in listed.output
    changed = runner.invoke(cli, ["documents", "set", "uploads/补贴.md", "--superseded-by",
                                  "policies/shaanxi-jili-ganbu-dandang-2020.md"])
    assert changed.exit_code == 0 and "已被替代" in changed.output
    bad = runner.invoke(cli, ["documents", "add", str(tmp_path / "missing.md")])
    assert bad.exit_code == 1 and "无法读取" in bad.output
    removed = runner.invoke(cli, ["documents", "remove", "uploads/补贴.md"])
    assert removed.exit_code == 0 and ".withdrawn" in removed.output
    assert "uploads/补贴.md" not in runner.invoke(cli, ["documents", "list", "--json"]).output
