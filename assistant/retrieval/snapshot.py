"""What search holds in memory: the live chunks, their BM25 index (jieba words), chunk and sentence vectors,
and who the corpus regulates (lexicon.py) — built whole from the store once, then changed document by
document (`changed`: the other rows are kept, nothing is re-read or re-indexed); and how it is written to and
read from a folder in plain formats (JSON and NumPy arrays, no pickle), so a damaged or foreign file can
fail to load but never run code."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from assistant.retrieval.bm25 import BM25
from assistant.retrieval.doc_names import DocNameIndex
from assistant.retrieval.lexicon import CorpusLexicon
from assistant.types import Chunk

ARRAYS, CHUNKS, STAMP, LEXICON, TERMS = "arrays.npz", "chunks.json", "stamp.json", "lexicon.json", "terms.json"


@dataclass
class Added:
    """Rows to add: chunks with their BM25 tokens, vectors, and sentence vectors (owner: index into chunks)."""

    chunks: list[Chunk]
    tokens: list[list[str]]
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_owner: np.ndarray


@dataclass
class Snapshot:
    chunks: list[Chunk]
    bm25: BM25  # over the jieba tokens stored with each chunk
    lexicon: CorpusLexicon
    vectors: np.ndarray  # one row per chunk
    sentence_vectors: np.ndarray  # one row per sentence of the multi-sentence chunks, grouped by chunk
    sentence_owner: np.ndarray  # chunk position of each sentence row (non-decreasing)
    stamp: tuple = field(default_factory=tuple)  # what it was built from (see HybridRetriever)
    position: dict[str, int] = field(init=False)  # chunk id → row
    names: DocNameIndex = field(init=False)  # which documents a question names
    owner_starts: np.ndarray = field(init=False)  # first sentence row of each chunk that has sentences
    owners: np.ndarray = field(init=False)  # …and that chunk's row
    columns: dict[str, np.ndarray] = field(init=False)  # doc_id / kind / status per chunk, for filters

    def __post_init__(self) -> None:
        self.position = {c.id: i for i, c in enumerate(self.chunks)}
        self.names = DocNameIndex(self.chunks)
        self.owners, self.owner_starts = np.unique(self.sentence_owner, return_index=True)
        self.columns = {name: np.array([getattr(c, name) for c in self.chunks], dtype=object)
                        for name in ("doc_id", "kind", "status")}

    @classmethod
    def build(cls, rows: Added, stamp: tuple) -> Snapshot:
        """From everything the store holds."""
        order = np.argsort(rows.sentence_owner, kind="stable")  # rows of one chunk together, for reduceat
        return cls(rows.chunks, BM25.build(t or [""] for t in rows.tokens),
                   CorpusLexicon.mine([c.doc_id for c in rows.chunks], rows.tokens), rows.vectors,
                   rows.sentence_vectors[order], rows.sentence_owner[order], stamp)

    def changed(self, removed: set[str], added: Added, statuses: dict[str, tuple[str, str]], stamp: tuple) -> Snapshot:
        """A new snapshot (this one unchanged, still serving): without the chunks of the `removed` documents
        (withdrawn, or changed and re-read into `added`), with `added`'s rows, and the documents of `statuses`
        (doc_id → (status, superseded_by)) re-marked."""
        keep = np.fromiter((c.doc_id not in removed for c in self.chunks), dtype=bool, count=len(self.chunks))
        chunks = [_marked(c, statuses) for c, k in zip(self.chunks, keep) if k] + added.chunks
        new_row = np.cumsum(keep) - 1  # a kept chunk's row in the new snapshot
        kept_sentences = keep[self.sentence_owner]
        order = np.argsort(added.sentence_owner, kind="stable")
        owners = np.concatenate([new_row[self.sentence_owner[kept_sentences]],
                                 added.sentence_owner[order] + int(keep.sum())]).astype(np.int64)
        dim = self.vectors.shape[1] if self.vectors.size else added.vectors.shape[1] if added.vectors.size else 1
        # Added chunks come after every kept one, and so do their sentences (sorted among themselves): the
        # owners stay sorted without sorting the whole matrix, which is copied once (at 30× ~0.5 GB).
        return Snapshot(chunks, self.bm25.changed(keep, (t or [""] for t in added.tokens)),
                        self.lexicon.changed(removed, [c.doc_id for c in added.chunks], added.tokens),
                        _kept_then_added(self.vectors, keep, added.vectors, dim),
                        _kept_then_added(self.sentence_vectors, kept_sentences, added.sentence_vectors[order], dim),
                        owners, stamp)

    def idf(self, word: str) -> float:
        """How rare a word is among the chunks (0 documents: as rare as can be)."""
        return math.log(1 + len(self.chunks) / (1 + self.bm25.df(word)))

    def best_sentence(self, query_vector: np.ndarray, chunk_cosine: np.ndarray) -> np.ndarray:
        """Per chunk, the cosine of its best-matching sentence (its own cosine when it has no sentences)."""
        best = chunk_cosine.copy()
        if len(self.sentence_owner):
            best[self.owners] = np.maximum.reduceat(self.sentence_vectors @ query_vector, self.owner_starts)
        return best

    def write(self, folder: Path) -> None:
        """Into an empty folder."""
        np.savez(folder / ARRAYS, vectors=self.vectors, sentence_vectors=self.sentence_vectors,
                 sentence_owner=self.sentence_owner, **self.bm25.arrays())
        (folder / CHUNKS).write_text(json.dumps([asdict(c) for c in self.chunks], ensure_ascii=False), "utf-8")
        (folder / STAMP).write_text(json.dumps(self.stamp, ensure_ascii=False), "utf-8")
        (folder / LEXICON).write_text(json.dumps(self.lexicon.to_json(), ensure_ascii=False), "utf-8")
        (folder / TERMS).write_text(json.dumps(self.bm25.terms(), ensure_ascii=False), "utf-8")

    @classmethod
    def read(cls, folder: Path) -> Snapshot:
        """From a folder `write` made; raises (OSError, ValueError, KeyError, TypeError…) on anything else."""
        stamp = tuple(tuple(row) for row in json.loads((folder / STAMP).read_text("utf-8")))
        chunks = [Chunk(**row) for row in json.loads((folder / CHUNKS).read_text("utf-8"))]
        lexicon = CorpusLexicon.from_json(json.loads((folder / LEXICON).read_text("utf-8")))
        terms = json.loads((folder / TERMS).read_text("utf-8"))
        with np.load(folder / ARRAYS, allow_pickle=False) as arrays:
            vectors, sentences, owners = arrays["vectors"], arrays["sentence_vectors"], arrays["sentence_owner"]
            bm25 = BM25.from_arrays(terms, arrays)
        if len(vectors) != len(chunks) or bm25.size != len(chunks):
            raise ValueError("snapshot parts do not match")
        return cls(chunks, bm25, lexicon, vectors, sentences, owners, stamp)


def _kept_then_added(rows: np.ndarray, keep: np.ndarray, added: np.ndarray, dim: int) -> np.ndarray:
    """The kept rows, then the added ones, written once into a new matrix. The removed rows are a few
    documents' runs, so the kept ones are copied run by run (memory speed; a boolean-mask copy is 5× slower)."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], keep.astype(np.int8), [0]))))
    out = np.empty((int(keep.sum()) + len(added), dim), dtype=np.float32)
    at = 0
    for start, end in zip(edges[::2], edges[1::2]):
        out[at:at + end - start] = rows[start:end]
        at += end - start
    out[at:] = added.reshape(-1, dim)
    return out


def _marked(chunk: Chunk, statuses: dict[str, tuple[str, str]]) -> Chunk:
    mark = statuses.get(chunk.doc_id)
    if mark is None or (chunk.status, chunk.superseded_by) == mark:
        return chunk
    return replace(chunk, status=mark[0], superseded_by=mark[1])
