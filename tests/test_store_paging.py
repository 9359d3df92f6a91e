"""Every store read, update and delete goes in pages: SQLite refuses more than 32,766 variables in one
statement, and an index of ~35,000 chunks used to commit every document and then fail for ever (ingest,
retriever, /readyz) with Chroma's "too many SQL variables".

The fast tests shrink the page to a few records so every call spans several pages (embedded and on a
`chroma run` server); the slow one builds an index above the limit and serves it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from assistant.components import Components
from assistant.retrieval.hybrid import HybridRetriever
from assistant.settings import Settings
from tests.processes import ChromaServer
from tests.servers import free_port, running_app

SEED_CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SQLITE_MAX_VARIABLES = 32766
QUESTION = "容错纠错的情形有哪些"


def _reads(store) -> dict:
    """What every paged read of the store returns, in a comparable form."""
    records = store.documents()
    live = sorted(cid for r in records for cid in r.chunk_ids)
    chunks, tokens = store.load_chunks(live)
    every, _ = store.load_chunks()
    owners, vectors = store.sentence_vectors()
    return {
        "documents": sorted((r.doc_id, r.content_hash, tuple(r.chunk_ids)) for r in records),
        "chunks": sorted(zip(chunks, map(tuple, tokens)), key=lambda pair: pair[0].id),
        "every chunk": sorted(c.id for c in every),
        "chunk vectors": sorted((cid, tuple(v)) for cid, v in store.chunk_vectors(live).items()),
        "sentence vectors": sorted(zip(owners, map(tuple, vectors))),
        "chunk ids": store.all_chunk_ids(),
        "sentence owners": store.sentence_owner_ids(),
    }


@pytest.fixture(params=["embedded", "server"])
def paged_parts(request, tmp_path: Path) -> Components:
    """The sample corpus ingested with the fake embedder, embedded or on a `chroma run` server."""
    url = ""
    if request.param == "server":
        server = ChromaServer(tmp_path / "chroma-data", free_port(), tmp_path / "chroma.log").start()
        request.addfinalizer(server.stop)
        url = server.url
    settings = Settings(index_dir=tmp_path / "index", embedder="fake", embedding_cache=tmp_path / "cache.sqlite",
                        chroma_url=url)
    parts = Components.load(settings, create=True)
    parts.ingestor().run([SEED_CORPUS])
    return parts


def test_small_pages_read_what_one_call_reads(paged_parts: Components) -> None:
    store = paged_parts.store
    assert store.page == store.client.get_max_batch_size() > 1000  # Chroma's own batch limit (5,461 here)
    whole = _reads(store)
    assert len(whole["chunks"]) > 20 and len(whole["sentence vectors"]) > 60  # several pages of 7 each
    store.page = 7
    assert _reads(store) == whole
    # the retriever built from 7-record pages ranks exactly as the one built from single calls
    store.page = 100_000
    expected = [(h.chunk.id, h.score) for h in HybridRetriever(store, paged_parts.embeddings,
                                                               paged_parts.tokenizer).search(QUESTION, k=8)]
    store.page = 7
    paged = HybridRetriever(store, paged_parts.embeddings, paged_parts.tokenizer)
    assert [(h.chunk.id, h.score) for h in paged.search(QUESTION, k=8)] == expected and expected


def test_small_pages_update_and_delete_everything(paged_parts: Components) -> None:
    store = paged_parts.store
    store.page = 7
    record = store.documents()[0]
    assert len(record.chunk_ids) > 7
    store.set_status(record, "superseded", "")
    store.page = 100_000  # read back in one call: nothing the pages skipped
    chunks = store.chunks.get(ids=record.chunk_ids, include=["metadatas"])["metadatas"]
    sentences = store.sentences.get(where={"doc_id": record.doc_id}, include=["metadatas"])["metadatas"]
    assert len(chunks) == len(record.chunk_ids) and len(sentences) > 7
    assert {m["status"] for m in chunks} == {m["status"] for m in sentences} == {"superseded"}
    assert store.document(record.doc_id).status == "superseded"

    store.page = 7
    records = store.documents()
    for r in records:  # as if an ingest died before writing any record: every chunk an orphan
        store.delete_document(r.doc_id)
    assert paged_parts.ingestor().sweep() == sum(len(r.chunk_ids) for r in records)
    assert store.chunks.count() == store.sentences.count() == 0


# --- above SQLite's limit -------------------------------------------------------------------------------------

CN = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1234 → 一千二百三十四 (below 10,000; 10 → 一十, which the article pattern reads as well)."""
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        if n >= value:
            out += CN[n // value] + unit
            n %= value
            if n and n < value // 10:
                out += "零"
    return out + (CN[n] if n else "")


def write_generated_corpus(root: Path, files: int, articles: int) -> None:
    """`files` regulations of `articles` short articles each; every other article has two sentences (two
    sentence vectors), and one file holds an article found by its own words."""
    root.mkdir(parents=True)
    for f in range(files):
        lines = [f"# 测试管理规定第{f}号", ""]
        for a in range(1, articles + 1):
            text = f"第{chinese_number(a)}条 第{f}号规定第{a}项事务由主管单位按时办理。"
            if a % 2:
                text += "其他单位应当配合检查工作。"
            if (f, a) == (files - 1, articles // 2):
                text = f"第{chinese_number(a)}条 量子密钥分发网络的运行单位应当建立密钥管理台账。"
            lines += [text, ""]
        (root / f"规定{f:03d}.md").write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.slow
def test_index_above_the_sqlite_variable_limit_ingests_and_serves(tmp_path: Path) -> None:
    """34,000 chunks and 34,000 sentence vectors (about 3 minutes, nearly all of it Chroma's writes)."""
    corpus = tmp_path / "corpus"
    write_generated_corpus(corpus, files=34, articles=1000)
    settings = Settings(index_dir=tmp_path / "index", embedder="fake", embedding_cache=tmp_path / "cache.sqlite")
    parts = Components.load(settings, create=True)

    report = parts.ingestor().run([corpus])  # the sweep at its end read every sentence's metadata: failed
    assert report.documents == 34 and not report.skipped
    assert report.total_chunks == 34_000 > SQLITE_MAX_VARIABLES
    assert report.sentences == 34_000 > SQLITE_MAX_VARIABLES
    assert not (settings.index_dir / "snapshots").exists()  # the server below reads the store itself

    with running_app(settings, timeout=300) as url:  # the lifespan builds the retriever from the store
        ready = httpx.get(f"{url}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text
        found = httpx.post(f"{url}/api/search", json={"query": "量子密钥分发网络的密钥管理台账", "k": 3}, timeout=60)
        assert found.status_code == 200, found.text
        top = found.json()["results"][0]
        assert (top["doc_id"], top["article"]) == ("规定033.md", "第五百条")

    again = parts.ingestor().run([corpus])  # nothing changed: nothing written, nothing lost
    assert again.unchanged == 34 and again.total_chunks == 34_000 and not again.added

    for record in parts.store.documents():  # every record gone, as after an ingest killed before committing
        parts.store.delete_document(record.doc_id)
    assert parts.ingestor().sweep() == 34_000  # one delete of 34,000 ids, in pages
    assert parts.store.chunks.count() == parts.store.sentences.count() == 0
