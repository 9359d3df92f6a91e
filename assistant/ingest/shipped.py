"""The embeddings file shipped with a corpus (corpus/embeddings.npz): written from exactly the texts an ingest
embeds, and checked against them, so it cannot go stale unnoticed (tests/test_bundled_corpus.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.embeddings.cache import CachedEmbeddings, cache_key
from assistant.embeddings.pack import PACK_FILE, VectorPack
from assistant.errors import AssistantError
from assistant.ingest.pipeline import corpus_texts


@dataclass
class Coverage:
    texts: int  # distinct texts an ingest of the corpus embeds
    covered: int  # of those, found in the file

    @property
    def share(self) -> float:
        return self.covered / self.texts if self.texts else 1.0


def export_pack(corpus: Path, embeddings: CachedEmbeddings, cap: int, out: Path | None = None,
                dtype: str = "float16") -> tuple[VectorPack, int]:
    """Write the vectors of every text an ingest of `corpus` embeds to `out` (default corpus/embeddings.npz).

    Vectors come from the embedding cache, the corpus's present file, or the model for what neither has;
    returns the pack and how many texts the model embedded."""
    if not corpus.is_dir():
        raise AssistantError(f"不是目录：{corpus}（向量文件随语料目录发布）")
    out = out or corpus / PACK_FILE
    if (corpus / PACK_FILE).is_file():
        embeddings.use_pack(VectorPack.load(corpus / PACK_FILE))
    texts = list(dict.fromkeys(corpus_texts([corpus], cap)))
    misses = embeddings.misses
    vectors = embeddings.embed_documents(texts)
    pack = VectorPack.build(embeddings.model, {cache_key(embeddings.model, t): v for t, v in zip(texts, vectors)},
                            dtype)
    pack.save(out)
    return pack, embeddings.misses - misses


def pack_coverage(corpus: Path, model: str, cap: int, pack_path: Path | None = None) -> Coverage:
    """How much of what an ingest of `corpus` embeds the shipped file holds, computed without a model."""
    pack = VectorPack.load(pack_path or corpus / PACK_FILE)
    keys = {cache_key(model, t) for t in corpus_texts([corpus], cap)}
    return Coverage(texts=len(keys), covered=len(pack.get(sorted(keys))) if pack.model == model else 0)
