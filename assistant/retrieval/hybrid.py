"""Dense (Chroma) and BM25 (jieba) results fused by reciprocal rank, with document preferences."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings
from threadpoolctl import threadpool_limits

from assistant.grounding.in_force import SUPERSEDED_FACTOR, asks_for_old_version, in_force_first
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.snapshot_cache import SnapshotCache
from assistant.store import ChromaStore
from assistant.tokenizer import EXPANSION_WEIGHT, Tokenizer
from assistant.types import Chunk, Hit


@dataclass(frozen=True)
class Filters:
    """Restrict results to some documents, kinds or statuses (empty: no restriction)."""

    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    def where(self) -> dict | None:
        """The same restriction as a Chroma `where` clause (kinds widened to the stored chunk kinds)."""
        kinds = set(self.kinds) | {"case" for k in self.kinds if k == "case_collection"}
        clauses = [{key: {"$in": sorted(values)}} for key, values in
                   (("doc_id", set(self.doc_ids)), ("kind", kinds), ("status", set(self.statuses))) if values]
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def allows(self, chunk: Chunk) -> bool:
        return ((not self.doc_ids or chunk.doc_id in self.doc_ids)
                and (not self.kinds or chunk.kind in self.kinds or _collection_kind(chunk) in self.kinds)
                and (not self.statuses or chunk.status in self.statuses))


def _collection_kind(chunk: Chunk) -> str:
    return "case_collection" if chunk.kind == "case" else chunk.kind


@dataclass(frozen=True)
class RetrievalParams:
    """Knobs measured with the eval harness (see README)."""

    candidates: int = 50
    rrf_k: float = 10.0
    dense_weight: float = 1.0
    bm25_weight: float = 1.5
    named_doc_bonus: float = 0.5  # × the top fused score, for chunks of a document the question names
    superseded_factor: float = SUPERSEDED_FACTOR
    expansion_weight: float = EXPANSION_WEIGHT  # BM25 weight of official terms added for colloquial words
    chunk_vector_share: float = 0.5  # dense score = share × chunk cosine + rest × its best sentence's cosine


class HybridRetriever:
    """Search over the live chunks of the store; `refresh()` picks up a changed index."""

    def __init__(self, store: ChromaStore, embeddings: Embeddings, tokenizer: Tokenizer,
                 params: RetrievalParams | None = None, snapshot_cache: SnapshotCache | None = None):
        self.store = store
        self.embeddings = embeddings
        self.tokenizer = tokenizer
        self.params = params or RetrievalParams()
        self.snapshot_cache = snapshot_cache
        self._lock = threading.Lock()
        # Our matrix-vector products are small; BLAS worker threads only spin after each one and take the
        # two cores from the embedder's own threads (measured: search p50 94 → 45 ms).
        threadpool_limits(1, user_api="blas")
        self._snap = self._build()

    def _build(self, records: list | None = None) -> Snapshot:
        records = self.store.documents() if records is None else records
        stamp = _stamp(records)
        if self.snapshot_cache and (snap := self.snapshot_cache.load(stamp)) is not None:
            return snap
        snap = self._read_store(records, stamp)
        if self.snapshot_cache:
            self.snapshot_cache.save(snap)
        return snap

    def _read_store(self, records: list, stamp: tuple) -> Snapshot:
        """Everything search needs in memory, read from the store: chunks, BM25, chunk and sentence vectors."""
        live = [cid for r in records for cid in r.chunk_ids]
        chunks, tokens = self.store.load_chunks(live) if live else ([], [])
        position = {c.id: i for i, c in enumerate(chunks)}
        by_id = self.store.chunk_vectors(live) if live else {}
        # an index without documents (created, nothing committed yet; or every document withdrawn) is valid
        vectors = np.array([by_id[c.id] for c in chunks], dtype=np.float32).reshape(len(chunks), -1) if chunks \
            else np.zeros((0, 0), dtype=np.float32)
        owners, sentence_rows = [], []
        for owner, vector in zip(*self.store.sentence_vectors()):
            if owner in position:
                owners.append(position[owner])
                sentence_rows.append(vector)
        sentences = np.array(sentence_rows, dtype=np.float32).reshape(len(owners), vectors.shape[1] or 1)
        return Snapshot.build(chunks, tokens, vectors, sentences, np.array(owners, dtype=np.int64), stamp)

    def refresh(self) -> bool:
        """Reload if the documents changed since the last load; True when it did."""
        records = self.store.documents()
        stamp = _stamp(records)
        if stamp == self._snap.stamp:
            return False
        snap = self._build(records)  # the records just read: the store is not asked twice
        with self._lock:
            self._snap = snap
        return True

    @property
    def chunks(self) -> list[Chunk]:
        return self._snap.chunks

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        """The k best passages for a question."""
        snap, p = self._snap, self.params
        if not snap.chunks:
            return []
        filters = filters or Filters()
        allowed = np.array([filters.allows(c) for c in snap.chunks], dtype=bool)
        bm25_scores = self._bm25(snap, query, allowed)
        bm25_order = [int(i) for i in np.argsort(-bm25_scores)[: p.candidates] if bm25_scores[i] > 0]
        dense = self._dense(snap, query, allowed, filters)

        fused: dict[int, float] = {}
        for rank, i in enumerate(bm25_order, 1):
            fused[i] = fused.get(i, 0.0) + p.bm25_weight / (p.rrf_k + rank)
        for rank, (i, _) in enumerate(dense, 1):
            fused[i] = fused.get(i, 0.0) + p.dense_weight / (p.rrf_k + rank)
        if not fused:
            return []
        dense_score = dict(dense)
        dense_rank = {i: r for r, (i, _) in enumerate(dense, 1)}
        bm25_rank = {i: r for r, i in enumerate(bm25_order, 1)}
        named = snap.names.named_titles(query)
        top = max(fused.values())
        old_ok = asks_for_old_version(query)
        hits = []
        for i, score in fused.items():
            chunk = snap.chunks[i]
            is_named = chunk.title in named
            if is_named:
                score += p.named_doc_bonus * top
            if chunk.status == "superseded" and not old_ok:
                score *= p.superseded_factor
            hits.append(Hit(chunk, score, dense_score.get(i, 0.0), float(bm25_scores[i]),
                            dense_rank.get(i, 0), bm25_rank.get(i, 0), is_named))
        hits.sort(key=lambda h: -h.score)
        return in_force_first(hits)[:k]

    def _bm25(self, snap: Snapshot, query: str, allowed: np.ndarray) -> np.ndarray:
        vocab = snap.bm25.vocab_dict
        scores = np.zeros(len(snap.chunks), dtype=np.float32)
        tokens = [t for t in self.tokenizer.query_tokens(query) if t in vocab]
        if tokens:
            scores += snap.bm25.get_scores(tokens)
        extra = [t for t in self.tokenizer.expansion_tokens(query) if t in vocab]
        if extra and self.params.expansion_weight:
            scores += self.params.expansion_weight * snap.bm25.get_scores(extra)
        return scores * allowed

    def _dense(self, snap: Snapshot, query: str, allowed: np.ndarray, filters: Filters) -> list[tuple[int, float]]:
        """Candidates from Chroma (nearest chunks and nearest sentences), rescored exactly: a chunk's
        score mixes its own cosine with its best sentence's, so one item of a long article can match."""
        p = self.params
        vector = self.embeddings.embed_query(query)
        where = filters.where()
        found = self.store.query(vector, p.candidates * 2, where) + \
            self.store.query_sentences(vector, p.candidates * 4, where)
        candidates = list(dict.fromkeys(i for cid, _ in found
                                        if (i := snap.position.get(cid)) is not None and allowed[i]))
        if not candidates:
            return []
        q = np.asarray(vector, dtype=np.float32)
        own = snap.vectors[candidates] @ q
        best = np.full(len(snap.chunks), -np.inf, dtype=np.float32)
        if len(snap.sentence_owner):
            np.maximum.at(best, snap.sentence_owner, snap.sentence_vectors @ q)
        best = best[candidates]
        best = np.where(np.isfinite(best), best, own)  # a one-sentence chunk: its own vector is its sentence
        score = p.chunk_vector_share * own + (1 - p.chunk_vector_share) * best
        order = np.argsort(-score)[: p.candidates]
        return [(candidates[n], float(score[n])) for n in order]

    def siblings(self, chunk: Chunk) -> list[Chunk]:
        """All pieces of the unit a split chunk came from, in order."""
        return sorted((c for c in self._snap.chunks if c.doc_id == chunk.doc_id and c.section == chunk.section
                       and c.pieces == chunk.pieces), key=lambda c: c.start)


def _stamp(records) -> tuple:
    """What a snapshot was built from: a change in any document's content or status means rebuild."""
    return tuple(sorted((r.doc_id, r.content_hash, r.status, r.superseded_by) for r in records))
