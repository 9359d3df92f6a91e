"""Chroma holds everything: chunks (vector, text, metadata, BM25 tokens), one vector per sentence of
each chunk, and one record per document.

A document's record lists its chunk ids and is written after its chunks and their sentences, so it is
the commit point: chunks (and sentences) that no record lists are invisible and swept by the next ingest.

Every read, update and delete goes in pages (`_read`, `batches`). Chroma keeps its metadata in SQLite,
which refuses a statement with more than 32,766 variables, and Chroma spends one per id asked for, per
value of a `$in`, and per record whose metadata it returns. Measured with chromadb 1.5.9, embedded and
`chroma run` alike: `get(ids=…)` fails above 32,763 ids, `get(where={"k": {"$in": …}})` and
`delete(where=…)` above 32,762 values, `get(include=["metadatas"])` of a whole collection above 32,766
records, all with "too many SQL variables"; `update` refuses more than `get_max_batch_size()` (5,461)
records. `get` of 40,000 records' ids, embeddings or documents alone, and `delete(ids=…)` of 33,000, pass.
A whole collection is read by limit and offset; while another process writes, such a read may miss or
repeat a record — only the sweep (which finds it next time) and the sentence vectors (whose snapshot the
writer's commit makes stale) read that way.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from assistant.errors import IndexMissingError, IndexModelMismatchError
from assistant.store.connection import GuardedCollection, describe, open_client, store_errors
from assistant.store.generation import Generation
from assistant.types import Chunk, DocumentRecord

SCHEMA = 2
_OPENED_PARTS = frozenset({"client", "page", "chunks", "sentences", "docs"})  # what `open()` sets
_CHUNK_FIELDS = {f.name for f in fields(Chunk)}
T = TypeVar("T")


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


class ChromaStore:
    """Two collections: `<name>` for chunks, `<name>-documents` for document records."""

    def __init__(self, index_dir: Path, collection: str, model: str, create: bool = False, url: str = "",
                 open_now: bool = True):
        """`url`: a `chroma run` server (shared by every worker); empty: embedded, under index_dir/chroma.
        `open_now=False`: Chroma is opened by the first call that needs it (or `open()`), not here."""
        self.model = model
        self.url = url
        self.where = describe(index_dir, url)
        self.generation = Generation(index_dir) if not url else None  # an embedded store's change token
        self._place = (index_dir, collection, create)
        self._opening = threading.RLock()
        self._opened = False
        if open_now:
            self.open()

    @property
    def opened(self) -> bool:
        return self._opened

    def open(self) -> None:
        """Open Chroma and the three collections (once; IndexMissingError, IndexModelMismatchError,
        StoreUnavailableError as the store is)."""
        with self._opening:
            if self._opened:
                return
            index_dir, collection, create = self._place
            client, _ = open_client(index_dir, self.url, create)
            with store_errors(self.where):
                # records per read, update and delete: Chroma's own batch limit, far below SQLite's 32,766
                # variables (a server answers it for its own build)
                page = client.get_max_batch_size()
                names = {c.name for c in client.list_collections()}
                if not create and collection not in names:
                    hint = f"（同样设置 ASSISTANT_CHROMA_URL={self.url}）" if self.url else ""
                    raise IndexMissingError(
                        f"{self.where} 中没有集合 {collection}：请先运行 assistant ingest 构建索引{hint}")
                # embedding_function=None: we always pass vectors, so Chroma's default (a download) never runs
                chunks = GuardedCollection(client.get_or_create_collection(
                    collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embedding_model": self.model, "schema": SCHEMA}), self.where)
                sentences = GuardedCollection(client.get_or_create_collection(
                    f"{collection}-sentences", embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embedding_model": self.model, "schema": SCHEMA}), self.where)
                docs = GuardedCollection(client.get_or_create_collection(
                    f"{collection}-documents", embedding_function=None), self.where)
            built_with = (chunks.metadata or {}).get("embedding_model")
            if built_with and built_with != self.model:
                raise IndexModelMismatchError(
                    f"索引是用向量模型 {built_with} 构建的，当前配置为 {self.model}；"
                    "请换回原模型，或删除索引目录后重新运行 assistant ingest")
            self.client, self.page, self.chunks, self.sentences, self.docs = client, page, chunks, sentences, docs
            self._opened = True

    def __getattr__(self, name: str):
        # only for the attributes `open()` sets, while it has not: the first use opens the store
        if name in _OPENED_PARTS and not self.__dict__.get("_opened", True):
            self.open()
            return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def ping(self) -> None:
        """StoreUnavailableError when a Chroma server no longer answers (searches run on the in-memory
        snapshot, but a worker whose store of record is gone says so: 503, as every other call)."""
        if self.url:
            with store_errors(self.where):
                self.client.heartbeat()

    # --- chunks -------------------------------------------------------------------------------
    def upsert_chunks(self, chunks: list[Chunk], vectors: list[list[float]], tokens: list[list[str]]) -> None:
        for i in range(0, len(chunks), 256):
            batch = chunks[i:i + 256]
            self.chunks.upsert(
                ids=[c.id for c in batch],
                embeddings=vectors[i:i + 256],
                documents=[c.text for c in batch],
                metadatas=[{**c.metadata(), "tokens": " ".join(t)} for c, t in zip(batch, tokens[i:i + 256])],
            )

    def delete_chunks(self, ids: list[str]) -> None:
        """Delete chunks and their sentence vectors."""
        for batch in batches(ids, self.page):
            self.sentences.delete(where={"chunk_id": {"$in": list(batch)}})
            self.chunks.delete(ids=list(batch))

    def upsert_sentences(self, owners: list[Chunk], ordinals: list[int], vectors: list[list[float]]) -> None:
        """One vector per sentence of a chunk, found again by its chunk's id."""
        for i in range(0, len(owners), 256):
            batch = owners[i:i + 256]
            self.sentences.upsert(
                ids=[sentence_id(c.id, n) for c, n in zip(batch, ordinals[i:i + 256])],
                embeddings=vectors[i:i + 256],
                metadatas=[{"chunk_id": c.id, "doc_id": c.doc_id, "kind": c.kind, "status": c.status}
                           for c in batch])

    def sentence_owner_ids(self) -> set[str]:
        """Chunk ids that sentence vectors point at (orphans included), read from the sentence ids."""
        return {sentence_owner(i) for i in self._read(self.sentences, [])["ids"]}

    def delete_sentences_of(self, chunk_ids: list[str]) -> None:
        for batch in batches(chunk_ids, self.page):
            self.sentences.delete(where={"chunk_id": {"$in": list(batch)}})

    def chunk_vectors(self, ids: list[str]) -> dict[str, list[float]]:
        got = self._read(self.chunks, ["embeddings"], ids=ids)
        return dict(zip(got["ids"], got["embeddings"]))

    def sentence_vectors(self) -> tuple[list[str], list[list[float]]]:
        """(owner chunk id, vector) of every sentence vector (the owner read from the sentence id)."""
        got = self._read(self.sentences, ["embeddings"])
        return [sentence_owner(i) for i in got["ids"]], got["embeddings"]

    def sentence_vectors_of(self, chunk_ids: list[str]) -> tuple[list[str], list[list[float]]]:
        """(owner chunk id, vector) of the sentence vectors of these chunks."""
        owners, vectors = [], []
        for batch in batches(chunk_ids, self.page):
            got = self._read(self.sentences, ["embeddings"], where={"chunk_id": {"$in": list(batch)}})
            owners += [sentence_owner(i) for i in got["ids"]]
            vectors += got["embeddings"]
        return owners, vectors

    def all_chunk_ids(self) -> set[str]:
        return set(self._read(self.chunks, [])["ids"])

    def load_chunks(self, ids: list[str] | None = None) -> tuple[list[Chunk], list[list[str]]]:
        """Chunks with their BM25 tokens (all of them, or the given ids)."""
        chunks, tokens = [], []
        got = self._read(self.chunks, ["documents", "metadatas"], ids=ids)
        for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
            chunks.append(chunk_from_record(cid, text, meta))
            tokens.append((meta.get("tokens") or "").split())
        return chunks, tokens

    def _read(self, collection: GuardedCollection, include: list[str], ids: Sequence[str] | None = None,
              where: dict[str, Any] | None = None) -> dict[str, list]:
        """`collection.get(ids, where, include)` in pages of `self.page` records, joined: `ids` plus one
        list per included field. Given ids go in slices; a whole collection goes by limit and offset."""
        out: dict[str, list] = {"ids": [], **{key: [] for key in include}}

        def add(got) -> int:
            out["ids"] += got["ids"]
            for key in include:
                out[key] += list(got[key])
            return len(got["ids"])

        if ids is not None:
            for batch in batches(ids, self.page):
                add(collection.get(ids=list(batch), where=where, include=include))
            return out
        offset = 0
        while add(collection.get(where=where, include=include, limit=self.page, offset=offset)) == self.page:
            offset += self.page
        return out

    # --- documents ------------------------------------------------------------------------------
    def put_document(self, record: DocumentRecord) -> None:
        meta = {k: (json.dumps(v) if k == "chunk_ids" else v) for k, v in asdict(record).items()}
        with self._committing():
            self.docs.upsert(ids=[record.doc_id], embeddings=[[1.0]], documents=[record.title], metadatas=[meta])

    def delete_document(self, doc_id: str) -> None:
        with self._committing():
            self.docs.delete(ids=[doc_id])

    def _committing(self) -> AbstractContextManager:
        """Around a write of document records: an embedded store's change token moves (generation.py)."""
        return self.generation.changing() if self.generation else nullcontext()

    def set_status(self, record: DocumentRecord, status: str, superseded_by: str) -> DocumentRecord:
        """Mark a document in force or superseded: its chunks and sentence vectors first, then its record
        (the commit point, pinned so a re-ingest keeps the decision). Vectors and texts are untouched."""
        meta = {"status": status, "superseded_by": superseded_by}
        for batch in batches(record.chunk_ids, self.page):
            self.chunks.update(ids=list(batch), metadatas=[meta] * len(batch))
            owned = self._read(self.sentences, [], where={"chunk_id": {"$in": list(batch)}})["ids"]
            for some in batches(owned, self.page):  # a chunk has several sentences: more than a page
                self.sentences.update(ids=list(some), metadatas=[{"status": status}] * len(some))
        updated = replace(record, status=status, superseded_by=superseded_by, pinned=True)
        self.put_document(updated)
        return updated

    def document(self, doc_id: str) -> DocumentRecord | None:
        got = self.docs.get(ids=[doc_id], include=["metadatas"])
        return _record(got["metadatas"][0]) if got["ids"] else None

    def documents(self) -> list[DocumentRecord]:
        return [_record(meta) for meta in self._read(self.docs, ["metadatas"])["metadatas"]]

    def live_chunk_ids(self) -> set[str]:
        return {cid for record in self.documents() for cid in record.chunk_ids}


def _record(meta: dict[str, Any]) -> DocumentRecord:
    data = {k: v for k, v in meta.items() if k in DocumentRecord.__dataclass_fields__}
    data["chunk_ids"] = json.loads(data.get("chunk_ids") or "[]")
    return DocumentRecord(**data)


def sentence_id(chunk_id: str, ordinal: int) -> str:
    return f"{chunk_id}-s{ordinal}"


def sentence_owner(sentence_id: str) -> str:
    """The chunk id a sentence vector belongs to (read from its id: no metadata fetch on the hot path)."""
    return sentence_id.rsplit("-s", 1)[0]


def chunk_from_record(cid: str, text: str, meta: dict[str, Any]) -> Chunk:
    data = {k: v for k, v in meta.items() if k in _CHUNK_FIELDS}
    return Chunk(id=cid, text=text, **data)
