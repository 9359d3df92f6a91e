"""Builds the parts (embedder, store, tokenizer, retriever) from settings: one place, used by CLI and API."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from assistant.embeddings import build_embeddings, model_id
from assistant.ingest.pipeline import Ingestor
from assistant.retrieval.tokenizer import Tokenizer
from assistant.settings import Settings
from assistant.store import ChromaStore


def open_store(settings: Settings, create: bool = False) -> ChromaStore:
    """The store: on the Chroma server when ASSISTANT_CHROMA_URL is set, else embedded in index_dir."""
    return ChromaStore(settings.index_dir, settings.collection, model_id(settings), create=create,
                       url=settings.chroma_url)


@dataclass
class Components:
    settings: Settings
    store: ChromaStore
    embeddings: Embeddings
    tokenizer: Tokenizer

    @classmethod
    def load(cls, settings: Settings, create: bool = False) -> "Components":
        store = open_store(settings, create=create)
        return cls(settings, store, build_embeddings(settings), Tokenizer())

    def ingestor(self) -> Ingestor:
        return Ingestor(self.store, self.embeddings, self.tokenizer, self.settings.chunk_max_chars)

    def retriever(self):
        from assistant.retrieval.hybrid import HybridRetriever
        from assistant.retrieval.snapshot_cache import SnapshotCache

        s = self.settings
        where = s.chroma_url or str(s.index_dir.resolve())
        cache = SnapshotCache(s.index_dir / "snapshots", f"{where}|{s.collection}|{self.store.model}")
        return HybridRetriever(self.store, self.embeddings, self.tokenizer, snapshot_cache=cache)
