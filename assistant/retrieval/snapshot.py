"""What search holds in memory: the live chunks, their BM25 index (jieba words), chunk and sentence vectors, and what the corpus says about its words (lexicon.py) — and how it is written
to and read from a folder in plain formats (JSON, NumPy arrays without pickle, bm25s's own files), so a
damaged or foreign file can fail to load but never run code."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import bm25s
import numpy as np

from assistant.retrieval.doc_names import DocNameIndex
from assistant.retrieval.lexicon import CorpusLexicon
from assistant.tokenizer import Tokenizer
from assistant.types import Chunk

ARRAYS, CHUNKS, STAMP, LEXICON, BM25_DIR = "arrays.npz", "chunks.json", "stamp.json", "lexicon.json", "bm25"


def _bm25(tokens: list[list[str]]) -> bm25s.BM25:
    index = bm25s.BM25()
    index.index([t or [""] for t in tokens], show_progress=False)
    return index


@dataclass
class Snapshot:
    chunks: list[Chunk]
    bm25: bm25s.BM25 | None  # over the jieba tokens stored with each chunk
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
    def build(cls, chunks: list[Chunk], tokens: list[list[str]], vectors: np.ndarray, sentence_vectors: np.ndarray,
              sentence_owner: np.ndarray, stamp: tuple, tokenizer: Tokenizer) -> Snapshot:
        order = np.argsort(sentence_owner, kind="stable")  # rows of one chunk together, for reduceat
        return cls(chunks, _bm25(tokens) if chunks else None, CorpusLexicon.mine(chunks, tokens, tokenizer), vectors,
                   sentence_vectors[order], sentence_owner[order], stamp)

    def best_sentence(self, query_vector: np.ndarray, chunk_cosine: np.ndarray) -> np.ndarray:
        """Per chunk, the cosine of its best-matching sentence (its own cosine when it has no sentences)."""
        best = chunk_cosine.copy()
        if len(self.sentence_owner):
            best[self.owners] = np.maximum.reduceat(self.sentence_vectors @ query_vector, self.owner_starts)
        return best

    def write(self, folder: Path) -> None:
        """Into an empty folder."""
        np.savez(folder / ARRAYS, vectors=self.vectors, sentence_vectors=self.sentence_vectors,
                 sentence_owner=self.sentence_owner)
        (folder / CHUNKS).write_text(json.dumps([asdict(c) for c in self.chunks], ensure_ascii=False), "utf-8")
        (folder / STAMP).write_text(json.dumps(self.stamp, ensure_ascii=False), "utf-8")
        (folder / LEXICON).write_text(json.dumps(self.lexicon.to_json(), ensure_ascii=False), "utf-8")
        if self.bm25 is not None:
            self.bm25.save(str(folder / BM25_DIR), show_progress=False)

    @classmethod
    def read(cls, folder: Path) -> Snapshot:
        """From a folder `write` made; raises (OSError, ValueError, KeyError, TypeError…) on anything else."""
        stamp = tuple(tuple(row) for row in json.loads((folder / STAMP).read_text("utf-8")))
        chunks = [Chunk(**row) for row in json.loads((folder / CHUNKS).read_text("utf-8"))]
        lexicon = CorpusLexicon.from_json(json.loads((folder / LEXICON).read_text("utf-8")))
        with np.load(folder / ARRAYS, allow_pickle=False) as arrays:
            vectors, sentences, owners = arrays["vectors"], arrays["sentence_vectors"], arrays["sentence_owner"]
        bm25 = bm25s.BM25.load(str(folder / BM25_DIR), allow_pickle=False, show_progress=False) \
            if (folder / BM25_DIR).is_dir() else None
        if len(vectors) != len(chunks) or (bm25 is None) != (not chunks):
            raise ValueError("snapshot parts do not match")
        return cls(chunks, bm25, lexicon, vectors, sentences, owners, stamp)
