"""Embedding cache keyed by (model, text hash) in one SQLite file: rebuilds and tests skip the model.

Texts it has never seen are looked up in the shipped embeddings files it was given (`use_pack`) before
they reach the model; vectors found there are copied into the cache.

Query vectors are kept in memory (a small LRU per process) and in the same file's `queries` table (the newest
SHARED_QUERIES), so a question one API worker has embedded is not embedded again by another."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.embeddings.pack import VectorPack

QUERY_CACHE_SIZE = 2048  # query vectors in memory, per process
SHARED_QUERIES = 50_000  # query vectors in the file, shared by a server's worker processes (≈ 75 MB)
PRUNE_EVERY = 256  # new queries between trimming the shared ones to SHARED_QUERIES


def cache_key(model: str, text: str) -> str:
    """The key of a text's vector: the same in the cache and in a shipped embeddings file."""
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()


class CachedEmbeddings(Embeddings):
    """Wraps an embedder; only texts never seen with this model reach it. Query vectors are kept in a
    small in-memory LRU: a portal sees the same questions again, and the model serialises every call."""

    def __init__(self, inner: Embeddings, path: Path, model: str):
        self.inner = inner
        self.model = model
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            # a cache: a commit lost with the power is embedded again; no fsync on every new question
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS queries (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        except (OSError, sqlite3.Error) as err:  # a path through a file, a read-only directory or disk…
            from assistant.errors import ConfigError

            raise ConfigError(f"无法打开向量缓存 {path}：{err}；请检查 ASSISTANT_EMBEDDING_CACHE "
                              "（默认在索引目录内）所在目录是否存在且可写") from None
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._new_queries = 0
        self.packs: list[VectorPack] = []
        self.hits = 0
        self.misses = 0  # texts sent to the model
        self.from_packs = 0  # texts found in a shipped embeddings file

    def _key(self, text: str) -> str:
        return cache_key(self.model, text)

    def use_pack(self, pack: VectorPack) -> None:
        """Look texts missing from the cache up in this file before asking the model (once per file)."""
        with self._lock:
            if all(p.path != pack.path for p in self.packs):
                self.packs.append(pack)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        found: dict[str, list[float]] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                batch = keys[i:i + 500]
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(batch))})", batch)
                found.update((k, np.frombuffer(v, dtype=np.float32).tolist()) for k, v in rows)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        self.hits += len(keys) - len(missing)
        shipped = self._from_packs(missing)
        missing = [k for k in missing if k not in shipped]
        self.misses += len(missing)
        text_of = dict(zip(keys, texts))
        vectors = self.inner.embed_documents([text_of[k] for k in missing]) if missing else []
        new = {**shipped, **dict(zip(missing, vectors))}
        if new:
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                     [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in new.items()])
            found.update((k, np.asarray(v, dtype=np.float32).tolist()) for k, v in new.items())
        return [list(found[k]) for k in keys]

    def _from_packs(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for pack in self.packs:
            found.update(pack.get([k for k in keys if k not in found]))
        self.from_packs += len(found)
        return found

    def has_query(self, text: str) -> bool:
        """Is the question's vector in memory (embed_query answers without the model or the file)?"""
        return text in self._queries

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            if text in self._queries:
                self._queries.move_to_end(text)
                return self._queries[text].tolist()
        key = self._key("\x00query\x00" + text)  # never a passage's key: e5 reads a query differently
        vector = self._shared_query(key)
        if vector is None:
            vector = np.asarray(self.inner.embed_query(text), dtype=np.float32)
            self._share_query(key, vector)
        with self._lock:  # float32 array: 1.5 KB a vector, not 12 KB as a list of Python floats
            self._queries[text] = vector
            while len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector.tolist()

    def _shared_query(self, key: str) -> np.ndarray | None:
        try:
            with self._lock:
                row = self._db.execute("SELECT vector FROM queries WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:  # busy past the timeout, or damaged: the model answers
            return None
        return np.frombuffer(row[0], dtype=np.float32).copy() if row else None

    def _share_query(self, key: str, vector: np.ndarray) -> None:
        try:
            with self._lock, self._db:
                self._db.execute("INSERT OR REPLACE INTO queries VALUES (?, ?)", (key, vector.tobytes()))
                self._new_queries += 1
                if self._new_queries % PRUNE_EVERY == 0:  # the newest rows have the largest rowids
                    self._db.execute("DELETE FROM queries WHERE rowid <= (SELECT max(rowid) FROM queries) - ?",
                                     (SHARED_QUERIES,))
        except sqlite3.Error:  # busy or read-only: another worker just embeds the question itself
            pass
