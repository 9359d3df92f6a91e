"""The index on disk (or on a Chroma server): chunk vectors, chunk texts and tokens, document records."""

from assistant.store.chroma_store import ChromaStore

__all__ = ["ChromaStore"]
