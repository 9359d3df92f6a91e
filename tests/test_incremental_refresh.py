"""A changed index is picked up document by document: after each kind of change, the refreshed snapshot holds
exactly what a snapshot built whole from the store holds (same chunks, vectors, BM25 scores, subjects)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.components import Components
from assistant.retrieval.bm25 import BM25
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.snapshot import Snapshot
from assistant.settings import Settings

DOCS = {
    "a.md": "关于党员的规定\n\n第一条 党员应当遵守党的纪律。\n第二条 党员违反纪律的，给予处分。\n",
    "b.md": "关于公务员的规定\n\n第一条 公务员应当遵纪守法。\n第二条 公务员参与赌博的，给予警告处分。\n",
    "c.md": "关于补贴的通知\n\n第一条 乡镇干部工作补贴按月发放。\n第二条 补贴标准为每人每月五百元。\n",
}
FILLER = {f"f{i}.md": f"关于第{i}项工作的通知\n\n第一条 第{i}项工作按季度检查。\n第二条 检查结果书面报告。\n" for i in range(8)}
QUERIES = ["党员违反纪律怎么处分", "公务员赌博", "补贴标准是多少", "遵纪守法"]


def _corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in {**DOCS, **FILLER}.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


def _same(refreshed, whole) -> None:
    """Two snapshots with the same content, whatever their row order."""
    a, b = refreshed.snapshot, whole.snapshot
    assert sorted(c.id for c in a.chunks) == sorted(c.id for c in b.chunks)
    assert (np.diff(a.sentence_owner) >= 0).all()  # a chunk's sentences together: the best-sentence max needs it
    for c in b.chunks:
        i, j = a.position[c.id], b.position[c.id]
        assert a.chunks[i] == c
        assert np.allclose(a.vectors[i], b.vectors[j])
        assert sorted(map(tuple, a.sentence_vectors[a.sentence_owner == i].round(5))) == \
            sorted(map(tuple, b.sentence_vectors[b.sentence_owner == j].round(5)))
    assert a.lexicon.roles == b.lexicon.roles and a.lexicon.subjects == b.lexicon.subjects
    for query in QUERIES:
        tokens = refreshed.tokenizer.query_tokens(query)
        by_id_a = dict(zip((c.id for c in a.chunks), a.bm25.scores(tokens)))
        by_id_b = dict(zip((c.id for c in b.chunks), b.bm25.scores(tokens)))
        assert by_id_a == {k: by_id_a[k] for k in by_id_b} and np.allclose(
            [by_id_a[k] for k in by_id_b], list(by_id_b.values()), atol=1e-6)
        # the same best passages (the filler documents tie with each other further down; their order
        # follows the rows, which differ)
        mine, theirs = refreshed.search(query, k=3), whole.search(query, k=3)
        assert [round(h.score, 6) for h in mine] == [round(h.score, 6) for h in theirs]
        assert mine[0].chunk.id == theirs[0].chunk.id or mine[0].score == mine[1].score


def _built_whole(parts: Components) -> HybridRetriever:
    """A retriever reading the whole store (no snapshot cache: the refreshed snapshot may be saved there)."""
    return HybridRetriever(parts.store, parts.embeddings, parts.tokenizer)


def test_each_kind_of_change_is_picked_up_incrementally(fake_settings: Settings, tmp_path: Path, monkeypatch) -> None:
    corpus = _corpus(tmp_path)
    writer = Components.load(fake_settings, create=True)  # another process: its ingest does not refresh ours
    writer.ingestor().run([corpus])
    served = Components.load(fake_settings).retriever()
    read_whole = []
    build = Snapshot.build.__func__

    def counted(cls, rows, stamp):
        read_whole.append(1)
        return build(cls, rows, stamp)

    monkeypatch.setattr(Snapshot, "build", classmethod(counted))

    (corpus / "b.md").write_text(DOCS["b.md"].replace("警告", "记过"), encoding="utf-8")  # a changed document
    (corpus / "d.md").write_text("关于监察官的规定\n\n第一条 监察官应当忠诚。\n", encoding="utf-8")  # a new one
    (corpus / "c.md").unlink()  # a withdrawn one
    writer.ingestor().run([corpus])
    assert served.refresh()
    assert not read_whole  # the changed documents only: the rest of the snapshot was kept
    _same(served, _built_whole(writer))

    read_whole.clear()
    record = writer.store.document("a.md")  # a status change only: nothing is read again
    writer.store.set_status(record, "superseded", "b.md")
    assert served.refresh()
    assert not read_whole
    assert {c.status for c in served.chunks if c.doc_id == "a.md"} == {"superseded"}
    _same(served, _built_whole(writer))


def test_bm25_changed_equals_built_whole() -> None:
    docs = [["党员", "纪律"], ["公务员", "赌博", "赌博"], ["补贴"], [""]]
    keep = np.array([True, False, True, True])
    changed = BM25.build(docs).changed(keep, [["公务员", "警告"]])
    whole = BM25.build([d for d, k in zip(docs, keep) if k] + [["公务员", "警告"]])
    for query in (["党员"], ["公务员", "警告"], ["补贴", "补贴"], ["没有"]):
        assert np.allclose(changed.scores(query), whole.scores(query))
    assert changed.document_frequency() == whole.document_frequency()
