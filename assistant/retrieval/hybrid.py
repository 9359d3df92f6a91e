"""Hybrid search over the in-memory snapshot: jieba BM25 (with the official wording of colloquial words) and
dense scores (each chunk's own vector mixed with its best sentence's) fused by reciprocal rank; then the
document the question names first, who the question is about (a document that never mentions the question's
subject ranks lower: 党员 is not answered from the civil-service rules), and the in-force policy.

Dense scores are exact dot products over every vector in memory (< 1 ms for the shared corpus): no Chroma
query on the search path. Chroma stays the store of record; with a Chroma server, a search first checks it
answers, so a worker whose store is gone answers 503 like every other call.

Measured and left out (see the issue-15 note): a fitted linear re-ranker over these and more signals
(character-bigram BM25, coverage, quoted and domain terms, kinds), a bigram BM25 in the fusion, a bonus for
quoted terms — none moved held-out recall beyond noise, and some lowered it. A linear adapter on the
question's vector (bench/query_adapter.py) lifts the dense list a fifth held-out but the fused ranking little,
and lowers dev, real-dev and the never-banked set (docs/benchmarks.md, stop 32).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings
from threadpoolctl import threadpool_limits

from assistant.grounding.in_force import SUPERSEDED_FACTOR, in_force_first
from assistant.grounding.question_text import read_question
from assistant.retrieval.query import Query, question_chars
from assistant.retrieval.question_bank import BankMatch, QuestionBank
from assistant.retrieval.snapshot import Added, Snapshot
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
                and (not self.kinds or chunk.kind in self.kinds or _collection_kind(chunk.kind) in self.kinds)
                and (not self.statuses or chunk.status in self.statuses))

    def mask(self, snap: Snapshot) -> np.ndarray:
        """`allows` for every chunk of the snapshot at once."""
        allowed = np.ones(len(snap.chunks), dtype=bool)
        kinds = set(self.kinds) | {"case" for k in self.kinds if k == "case_collection"}
        for column, values in (("doc_id", self.doc_ids), ("kind", kinds), ("status", self.statuses)):
            if values:
                allowed &= np.isin(snap.columns[column], list(values))
        return allowed


def _collection_kind(kind: str) -> str:
    return "case_collection" if kind == "case" else kind


@dataclass(frozen=True)
class RetrievalParams:
    """Knobs of the fusion, measured with the eval harness (subject_factor chosen by held-out recall)."""

    candidates: int = 50  # per retriever
    rrf_k: float = 10.0
    dense_weight: float = 1.0
    # BM25's weight in the fusion depends on how long the question is: a short one (「什么是诫勉？」) gives the
    # lexical match one or two words to go on, the dense ranking more; a long one many words that each count.
    # Fitted leave-one-set-out over the seven answerable sets (cut 10–50 characters × both weights 0.75–3; every
    # held-out set chose ≤ 30 → 1.0, longer → 1.5 but two that chose 36): R@1 summed 288 → 294, R@5 385 → 390
    # (one weight for all, as before: 1.5; 1.0 for all: 289 / 389) — docs/benchmarks.md, stop 28
    bm25_weight: float = 1.5
    short_bm25_weight: float = 1.0
    short_question_chars: int = 30
    named_doc_bonus: float = 0.5  # × the top fused score, for chunks of a document the question names
    superseded_factor: float = SUPERSEDED_FACTOR  # unless the question asks about the old version
    subject_factor: float = 0.5  # a document that never mentions who the question is about (lexicon.py)
    expansion_weight: float = EXPANSION_WEIGHT  # BM25 weight of official terms added for colloquial words
    chunk_vector_share: float = 0.5  # dense score = share × chunk cosine + rest × its best sentence's cosine
    # a case retold (「王某组织公款吃喝…案」) shares an everyday question's wording more than the article that
    # answers it; chosen among 1.0–0.5 on real-dev (R@1 0.65 → 0.66), held-out sets each +0 to +1 (benchmarks.md)
    case_factor: float = 0.8


@dataclass
class Retrieval:
    """A search's passages and what the whole index said about the question (for the refusal decision)."""

    hits: list[Hit]
    query: Query
    top_chunk: float = 0.0  # the best chunk cosine over the index
    top_sentence: float = 0.0  # the best sentence cosine over the index
    chunk_spread: float = 0.0  # the best chunk cosine minus the tenth best: a question nothing answers is flat
    bank_margin: float | None = None  # closer to banked questions answered here (> 0) or to unanswerable ones


@dataclass
class Candidates:
    """One question's candidates: snapshot rows in fused order, their ranks per retriever, their scores."""

    query: Query
    rows: list[int]
    fused: dict[int, float]
    ranks: dict[str, dict[int, int]]  # retriever → row → 1-based rank
    dense: np.ndarray  # the dense score (chunk and best sentence mixed) of every row
    bm25: np.ndarray
    chunk_cos: np.ndarray  # chunk cosines
    sentence_cos: np.ndarray  # best-sentence cosines
    allowed: np.ndarray  # the rows the filters let through
    bank: BankMatch | None = None  # how close it comes to the banked questions (question_bank.py)


class HybridRetriever:
    """Search over the live chunks of the store; `refresh()` picks up a changed index."""

    def __init__(self, store: ChromaStore, embeddings: Embeddings, tokenizer: Tokenizer,
                 params: RetrievalParams | None = None, snapshot_cache: SnapshotCache | None = None,
                 start: Snapshot | None = None, bank: QuestionBank | None = None):
        """`start`: a snapshot to serve at once (the cached one of an unchanged store) instead of reading
        the store; the next `refresh()` checks it against the store. `bank`: questions already answered."""
        self.store = store
        self.bank = bank
        self.embeddings = embeddings
        self.tokenizer = tokenizer
        self.params = params or RetrievalParams()
        self.snapshot_cache = snapshot_cache
        self._lock = threading.Lock()
        self._marked = ""  # the change token last recorded for the cached snapshot
        # Our matrix-vector products are small; BLAS worker threads only spin after each one and take the
        # two cores from the embedder's own threads (measured: search p50 94 → 45 ms).
        threadpool_limits(1, user_api="blas")
        self._snap = start or self._build()

    def _generation(self) -> str:
        """The store's change token, read before its records (store/generation.py); "" for a server."""
        return self.store.generation.current() if self.store.generation else ""

    def _build(self, records: list | None = None, generation: str | None = None) -> Snapshot:
        if records is None:
            generation, records = self._generation(), self.store.documents()
        stamp = _stamp(records)
        if self.snapshot_cache and (snap := self.snapshot_cache.load(stamp)) is not None:
            self.snapshot_cache.mark(stamp, generation or "")
            return snap
        snap = Snapshot.build(self._read_rows(records, whole=True), stamp)
        if self.snapshot_cache:
            self.snapshot_cache.save(snap, generation or "")
        return snap

    def _read_rows(self, records: list, whole: bool = False) -> Added:
        """The chunks of these documents, read from the store: texts, BM25 tokens, chunk and sentence vectors
        (`whole`: the records are every document, so every sentence vector is read in one pass)."""
        live = [cid for r in records for cid in r.chunk_ids]
        chunks, tokens = self.store.load_chunks(live) if live else ([], [])
        position = {c.id: i for i, c in enumerate(chunks)}
        by_id = self.store.chunk_vectors(live) if live else {}
        vectors = np.array([by_id[c.id] for c in chunks], dtype=np.float32)
        owners, sentence_rows = [], []
        found = self.store.sentence_vectors() if whole else self.store.sentence_vectors_of(live) if live else ([], [])
        for owner, vector in zip(*found):
            if owner in position:
                owners.append(position[owner])
                sentence_rows.append(vector)
        dim = vectors.shape[1] if vectors.size else 1
        return Added(chunks, tokens, vectors.reshape(len(chunks), dim),
                     np.array(sentence_rows, dtype=np.float32).reshape(len(owners), dim), np.array(owners, dtype=np.int64))

    def refresh(self) -> bool:
        """Reload if the documents changed since the last load; True when it did. Only the changed documents
        are read and indexed (the rest of the snapshot is kept); a change of most of the index is read whole."""
        generation = self._generation()
        records = self.store.documents()
        stamp = _stamp(records)
        old = self._snap
        if stamp == old.stamp:
            if self.snapshot_cache and generation and generation != self._marked:
                self.snapshot_cache.mark(stamp, generation)  # unchanged as of this token: a start can trust it
                self._marked = generation
            return False
        before = {row[0]: row for row in old.stamp}
        now = {r.doc_id: r for r in records}
        statuses = {d: (r.status, r.superseded_by) for d, r in now.items()
                    if d in before and before[d][1] == r.content_hash and before[d][2:] != (r.status, r.superseded_by)}
        reread = [r for d, r in now.items() if d not in before or before[d][1] != r.content_hash]
        removed = {d for d in before if d not in now} | {r.doc_id for r in reread}
        if sum(len(r.chunk_ids) for r in reread) > REBUILD_SHARE * max(len(old.chunks), 1):
            snap = self._build(records, generation)  # the records just read: the store is not asked twice
        else:
            snap = old.changed(removed, self._read_rows(reread), statuses, stamp)
            if self.snapshot_cache:  # kept for the next start; the new snapshot serves meanwhile
                threading.Thread(target=self.snapshot_cache.save, args=(snap, generation), daemon=True).start()
        with self._lock:
            self._snap = snap
        if self.bank is not None:  # here, in the refresher's thread, rather than in the next question
            self.bank.prepare(snap)
        return True

    @property
    def chunks(self) -> list[Chunk]:
        return self._snap.chunks

    @property
    def snapshot(self) -> Snapshot:
        return self._snap

    def candidates(self, query: str, filters: Filters | None = None, snap: Snapshot | None = None) -> Candidates:
        """Both retrievers' best rows for the question, fused by reciprocal rank, with the document preferences."""
        snap, p = snap or self._snap, self.params
        query = read_question(query)
        q = Query.read(query, self.tokenizer, snap)
        q.named = snap.names.named_titles(query)
        allowed = (filters or Filters()).mask(snap)
        bm25 = self._bm25(snap, q) * allowed
        vector = np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        chunk_cos = snap.vectors @ vector
        sentence_cos = snap.best_sentence(vector, chunk_cos)
        dense = p.chunk_vector_share * chunk_cos + (1 - p.chunk_vector_share) * sentence_cos
        ranks = {"bm25": _top(bm25, allowed, p.candidates, positive=True), "dense": _top(dense, allowed, p.candidates)}
        fused: dict[int, float] = {}
        short = question_chars(query) <= p.short_question_chars
        for name, weight in (("bm25", p.short_bm25_weight if short else p.bm25_weight), ("dense", p.dense_weight)):
            for i, rank in ranks[name].items():
                fused[i] = fused.get(i, 0.0) + weight / (p.rrf_k + rank)
        top = max(fused.values(), default=0.0)
        bank = self.bank.match(vector, snap) if self.bank is not None else None
        for i, share in (bank.lift.items() if bank else ()):  # what answered a question asked the same way
            if allowed[i]:
                fused[i] = fused.get(i, 0.0) + share * top
        subjects = snap.lexicon.doc_subjects
        for i in fused:  # the document the question names, and the in-force text, come first
            chunk = snap.chunks[i]
            if chunk.title in q.named:
                fused[i] += p.named_doc_bonus * top
            if chunk.status == "superseded" and not q.old_version:
                fused[i] *= p.superseded_factor
            if q.subjects and not any(subjects.get(chunk.doc_id, {}).get(s) for s in q.subjects):
                fused[i] *= p.subject_factor
            if chunk.kind == "case":
                fused[i] *= p.case_factor
            if bank is not None:  # a document the question is unlikely to be about (question_bank.py)
                fused[i] *= bank.document_factor(chunk.doc_id)
        return Candidates(q, sorted(fused, key=lambda i: -fused[i]), fused, ranks, dense, bm25, chunk_cos,
                          sentence_cos, allowed, bank)

    def in_memory(self, query: str) -> bool:
        """Can a search for `query` run without waiting on anything: its vector cached in memory and no Chroma
        server to check (an embedded store's ping does nothing)? Then it is about a millisecond of numpy."""
        has_query = getattr(self.embeddings, "has_query", None)
        return has_query is not None and not getattr(self.store, "url", "") and has_query(read_question(query))

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        """The k best passages for a question."""
        return self.retrieve(query, k, filters).hits

    def retrieve(self, query: str, k: int = 5, filters: Filters | None = None) -> Retrieval:
        """The k best passages, with the index-wide signals a refusal decision reads."""
        snap = self._snap
        if not snap.chunks:
            return Retrieval([], Query.read(query, self.tokenizer, snap))
        self.store.ping()
        found = self.candidates(query, filters, snap)
        # the in-force policy may move a passage up from a little further down: look that far, no further
        hits = [Hit(snap.chunks[i], found.fused[i], float(found.dense[i]), float(found.bm25[i]),
                    found.ranks["dense"].get(i, 0), found.ranks["bm25"].get(i, 0),
                    snap.chunks[i].title in found.query.named) for i in found.rows[:k + IN_FORCE_REACH]]
        if not found.allowed.any():
            return Retrieval([], found.query)
        allowed_cos = found.chunk_cos[found.allowed]
        best = -np.sort(np.partition(-allowed_cos, min(9, len(allowed_cos) - 1))[:10])  # the ten best, best first
        return Retrieval(in_force_first(hits)[:k], found.query, float(best[0]),
                         float(found.sentence_cos[found.allowed].max()), float(best[0] - best[-1]),
                         found.bank.margin if found.bank else None)

    def _bm25(self, snap: Snapshot, q: Query) -> np.ndarray:
        scores = snap.bm25.scores(q.tokens)
        if q.expansion and self.params.expansion_weight:
            scores += self.params.expansion_weight * snap.bm25.scores(q.expansion)
        return scores


def _top(scores: np.ndarray, allowed: np.ndarray, n: int, positive: bool = False) -> dict[int, int]:
    """row → rank of the n best allowed rows (rows scoring 0 left out when `positive`)."""
    masked = np.where(allowed, scores, -np.inf)
    n = min(n, len(masked))
    best = np.argpartition(-masked, n - 1)[:n] if n else np.array([], dtype=np.int64)
    best = best[np.argsort(-masked[best], kind="stable")]
    kept = np.isfinite(masked[best]) & ((masked[best] > 0) if positive else True)
    return {i: r for r, i in enumerate(best[kept].tolist(), 1)}


IN_FORCE_REACH = 20  # passages below the k-th the in-force policy looks at
REBUILD_SHARE = 0.3  # re-reading more than this share of the chunks: build the snapshot whole


def _stamp(records) -> tuple:
    """What a snapshot was built from: a change in any document's content or status means rebuild."""
    return tuple(sorted((r.doc_id, r.content_hash, r.status, r.superseded_by) for r in records))
