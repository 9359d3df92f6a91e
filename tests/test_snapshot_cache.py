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
