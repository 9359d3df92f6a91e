"""The ingest benchmark: ingest rate against the embedder's own rate on the very same texts."""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.components import Components, open_store
from assistant.embeddings import CachedEmbeddings, build_embeddings, model_id
from assistant.settings import Settings


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class TimedEmbeddings(Embeddings):
    """Passes calls on to a model, keeping the texts it was given and the seconds it took."""

    def __init__(self, inner: Embeddings):
        self.inner = inner
        self.texts: list[str] = []
        self.seconds = 0.0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors = self.inner.embed_documents(texts)
        self.seconds += time.perf_counter() - started
        self.texts += texts
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def bench_ingest(settings: Settings, paths: list[Path], model: Embeddings | None = None) -> dict:
    """A full `Ingestor.run` into a fresh index with an empty embedding cache (so every text is unseen), then
    the very texts it embedded (chunks and sentences) straight through the model, same batch size.

    `ratio` is ingest time per embedded text over model time per text: 1.0 means ingest costs nothing but
    the model. `model`: a loaded uncached embedder to reuse (default: load one)."""
    bare = model or build_embeddings(settings, cached=False)
    bare.embed_documents(["预热"])  # the first call's one-off setup belongs to neither timing
    timed = TimedEmbeddings(bare)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = settings.model_copy(update={"index_dir": Path(tmp) / "index", "chroma_url": ""})
        embeddings = CachedEmbeddings(timed, Path(tmp) / "cache.sqlite", model_id(settings))
        ingestor = Components(fresh, open_store(fresh, create=True), embeddings).ingestor()
        started = time.perf_counter()
        report = ingestor.run(paths)
        ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    bare.embed_documents(timed.texts)
    embed_s = time.perf_counter() - started
    texts = len(timed.texts)
    return {"documents": report.documents, "chunks": report.chunks, "sentences": report.sentences,
            "passages": report.embedded, "ingest_s": ingest_s, "model_s_during_ingest": timed.seconds,
            "embed_s": embed_s, "ingest_rate": report.embedded / ingest_s, "embed_rate": texts / embed_s,
            "ratio": (ingest_s / max(report.embedded, 1)) / (embed_s / max(texts, 1)),
            # the same question inside the one run, immune to the machine getting slower or faster in between
            "ratio_within_ingest": ingest_s / timed.seconds if timed.seconds else None, "peak_rss_mb": peak_rss_mb()}
