"""What search holds in memory: the live chunks, their BM25 index, chunk and sentence vectors — and how it is
written to and read from a folder in plain formats (JSON, NumPy arrays without pickle, bm25s's own files),
so a damaged or foreign file can fail to load but never run code."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import bm25s
import numpy as np

from assistant.retrieval.doc_names import DocNameIndex
from assistant.types import Chunk

ARRAYS, CHUNKS, STAMP, BM25_DIR = "arrays.npz", "chunks.json", "stamp.json", "bm25"


@dataclass
class Snapshot:
    chunks: list[Chunk]
    bm25: bm25s.BM25 | None
    vectors: np.ndarray  # one row per chunk, for exact rescoring of the dense candidates
    sentence_vectors: np.ndarray  # one row per sentence of the multi-sentence chunks
    sentence_owner: np.ndarray  # chunk position of each sentence row
    stamp: tuple = field(default_factory=tuple)  # what it was built from (see HybridRetriever)
    position: dict[str, int] = field(init=False)  # chunk id → row
    names: DocNameIndex = field(init=False)  # which documents a question names

    def __post_init__(self) -> None:
        self.position = {c.id: i for i, c in enumerate(self.chunks)}
        self.names = DocNameIndex(self.chunks)

    @classmethod
    def build(cls, chunks: list[Chunk], tokens: list[list[str]], vectors: np.ndarray, sentence_vectors: np.ndarray,
              sentence_owner: np.ndarray, stamp: tuple) -> Snapshot:
        bm25 = None
        if chunks:
            bm25 = bm25s.BM25()
            bm25.index([t or [""] for t in tokens], show_progress=False)
        return cls(chunks, bm25, vectors, sentence_vectors, sentence_owner, stamp)

    def write(self, folder: Path) -> None:
        """Into an empty folder."""
        np.savez(folder / ARRAYS, vectors=self.vectors, sentence_vectors=self.sentence_vectors,
                 sentence_owner=self.sentence_owner)
        (folder / CHUNKS).write_text(json.dumps([asdict(c) for c in self.chunks], ensure_ascii=False), "utf-8")
        (folder / STAMP).write_text(json.dumps(self.stamp, ensure_ascii=False), "utf-8")
        if self.bm25 is not None:
            self.bm25.save(str(folder / BM25_DIR), show_progress=False)

    @classmethod
    def read(cls, folder: Path) -> Snapshot:
        """From a folder `write` made; raises (OSError, ValueError, KeyError, TypeError…) on anything else."""
        stamp = tuple(tuple(row) for row in json.loads((folder / STAMP).read_text("utf-8")))
        chunks = [Chunk(**row) for row in json.loads((folder / CHUNKS).read_text("utf-8"))]
        with np.load(folder / ARRAYS, allow_pickle=False) as arrays:
            vectors, sentences, owners = arrays["vectors"], arrays["sentence_vectors"], arrays["sentence_owner"]
        bm25 = bm25s.BM25.load(str(folder / BM25_DIR), allow_pickle=False, show_progress=False) \
            if (folder / BM25_DIR).is_dir() else None
        if len(vectors) != len(chunks) or (bm25 is None) != (not chunks):
            raise ValueError("snapshot parts do not match")
        return cls(chunks, bm25, vectors, sentences, owners, stamp)
