"""The retriever's snapshot on disk: reused when the index is unchanged, rebuilt when it changed or is damaged."""

from __future__ import annotations

from pathlib import Path

from assistant.components import Components
from assistant.settings import Settings

DOC = "第一条 乡镇干部工作补贴按月发放。\n第二条 补贴标准为每人每月五百元。\n"


def _corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("关于补贴的通知\n\n" + DOC, encoding="utf-8")
    return corpus


def test_snapshot_reused_then_rebuilt(fake_settings: Settings, tmp_path: Path, monkeypatch) -> None:
    corpus = _corpus(tmp_path)
    parts = Components.load(fake_settings, create=True)
    parts.ingestor().run([corpus])
    first = parts.retriever()
    files = list((fake_settings.index_dir / "snapshots").glob("snapshot-*"))
    assert len(files) == 1

    reads = []
    restarted = Components.load(fake_settings)  # as a new process would
    monkeypatch.setattr(restarted.store, "load_chunks", lambda *a, **k: reads.append(a) or ([], []))
    again = restarted.retriever()  # from the file: the store's chunks are not read again
    assert not reads and [c.id for c in again.chunks] == [c.id for c in first.chunks]
    assert again.search("补贴标准", k=1)[0].chunk.doc_id == "a.md"
    monkeypatch.undo()

    (corpus / "b.md").write_text("关于津贴的通知\n\n第一条 津贴按季度发放。\n", encoding="utf-8")
    parts.ingestor().run([corpus])
    changed = parts.retriever()
    assert {c.doc_id for c in changed.chunks} == {"a.md", "b.md"}
    assert len(list((fake_settings.index_dir / "snapshots").glob("snapshot-*"))) == 1  # the old one is gone


def test_damaged_snapshot_is_ignored(fake_settings: Settings, tmp_path: Path) -> None:
    parts = Components.load(fake_settings, create=True)
    parts.ingestor().run([_corpus(tmp_path)])
    parts.retriever()
    [path] = (fake_settings.index_dir / "snapshots").glob("snapshot-*")
    (path / "arrays.npz").write_bytes(b"not an archive")
    rebuilt = Components.load(fake_settings).retriever()  # a new process finds the damaged folder
    assert rebuilt.search("补贴标准", k=1)[0].chunk.doc_id == "a.md"


def _snapshot_saved(settings: Settings, corpus: Path) -> Components:
    """An index of `corpus` whose snapshot a server has cached (as after its first start)."""
    parts = Components.load(settings, create=True)
    parts.ingestor().run([corpus])
    parts.retriever()
    return parts


def test_a_start_from_the_snapshot_leaves_the_store_closed_until_the_store_changed(
        fake_settings: Settings, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    _snapshot_saved(fake_settings, corpus)

    started = Components.load(fake_settings, from_snapshot=True)
    retriever = started.retriever()
    assert not started.store.opened  # nothing was read from Chroma
    assert retriever.search("补贴标准", k=1)[0].chunk.doc_id == "a.md"
    assert retriever.refresh() is False and started.store.opened  # the check after start: nothing changed

    (corpus / "b.md").write_text("关于津贴的通知\n\n第一条 津贴按季度发放。\n", encoding="utf-8")
    Components.load(fake_settings).ingestor().run([corpus])  # `assistant ingest`: the change token moves
    again = Components.load(fake_settings, from_snapshot=True)
    assert {c.doc_id for c in again.retriever().chunks} == {"a.md", "b.md"}
    assert again.store.opened  # the cached snapshot was not trusted


def test_a_write_the_token_missed_is_picked_up_by_the_first_check(fake_settings: Settings, tmp_path: Path,
                                                                 monkeypatch) -> None:
    corpus = _corpus(tmp_path)
    _snapshot_saved(fake_settings, corpus)
    (corpus / "b.md").write_text("关于津贴的通知\n\n第一条 津贴按季度发放。\n", encoding="utf-8")
    with monkeypatch.context() as m:  # a writer that died between its commit and the token
        m.setattr("assistant.store.generation.Generation.bump", lambda self: None)
        Components.load(fake_settings).ingestor().run([corpus])

    started = Components.load(fake_settings, from_snapshot=True)
    retriever = started.retriever()
    assert {c.doc_id for c in retriever.chunks} == {"a.md"}  # the cached snapshot, for now
    assert retriever.refresh() is True
    assert {c.doc_id for c in retriever.chunks} == {"a.md", "b.md"}


def test_the_api_is_ready_from_the_snapshot_and_checks_the_store_after(fake_settings: Settings,
                                                                       tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from assistant.api import create_app

    _snapshot_saved(fake_settings, _corpus(tmp_path))
    with TestClient(create_app(fake_settings)) as client:
        assert client.get("/readyz").status_code == 200
        found = client.post("/api/search", json={"query": "补贴标准是多少"})
        assert found.status_code == 200, found.text
        assert found.json()["results"]
        client.app.state.store_check.join(60)
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["chunks"] > 0 and "store" not in ready.json()


def test_a_store_gone_behind_its_snapshot_takes_the_api_out_of_service(fake_settings: Settings,
                                                                       tmp_path: Path) -> None:
    import shutil

    from fastapi.testclient import TestClient

    from assistant.api import create_app

    _snapshot_saved(fake_settings, _corpus(tmp_path))
    shutil.rmtree(fake_settings.index_dir / "chroma")
    with TestClient(create_app(fake_settings)) as client:
        client.app.state.store_check.join(60)
        gone = client.get("/readyz")
        assert gone.status_code == 503 and "assistant ingest" in gone.json()["detail"]
