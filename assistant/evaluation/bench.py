"""Benchmarks: ingest rate against the embedder's own rate, search latency against the query embedding."""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assistant.components import Components
from assistant.embeddings import build_embeddings
from assistant.settings import Settings


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_ingest(settings: Settings, paths: list[Path]) -> dict:
    """Ingest into a fresh index with an empty cache, then embed the same passages with the bare model."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = settings.model_copy(update={"index_dir": Path(tmp) / "index", "embedding_cache": Path(tmp) / "c.sqlite"})
        parts = Components.load(fresh, create=True)
        started = time.perf_counter()
        report = parts.ingestor().run(paths)
        ingest_s = time.perf_counter() - started
        chunks, _ = parts.store.load_chunks()
    texts = [c.embed_text for c in chunks]
    bare = build_embeddings(settings, cached=False)
    started = time.perf_counter()
    bare.embed_documents(texts)
    embed_s = time.perf_counter() - started
    return {"passages": len(texts), "documents": report.documents, "ingest_s": ingest_s, "embed_s": embed_s,
            "ingest_rate": len(texts) / ingest_s, "embed_rate": len(texts) / embed_s,
            "ratio": ingest_s / embed_s, "peak_rss_mb": peak_rss_mb()}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bench_search(settings: Settings, questions: list[str], rounds: int = 3, clients: int = 8) -> dict:
    """In-process search latency (single and concurrent) next to the query embedding alone."""
    parts = Components.load(settings)
    retriever = parts.retriever()
    bare = getattr(parts.embeddings, "inner", parts.embeddings)  # the retriever's own model, past the caches
    for q in questions[:3]:  # warm up with texts the measured runs never send
        retriever.search(f"预热：{q}", k=5)
    # every measured text is new to the query-vector LRU (trailing spaces change the text, not the
    # meaning), so each search pays for its embedding as an unseen question does
    embed_ms, single_ms = [], []
    for r in range(rounds):
        for q in questions:
            t = time.perf_counter()
            bare.embed_query(q + " " * r)
            embed_ms.append((time.perf_counter() - t) * 1000)
        for q in questions:
            t = time.perf_counter()
            retriever.search(q + " " * r, k=5)
            single_ms.append((time.perf_counter() - t) * 1000)

    def timed(q: str) -> float:
        t = time.perf_counter()
        retriever.search(q, k=5)
        return (time.perf_counter() - t) * 1000

    with ThreadPoolExecutor(clients) as pool:
        started = time.perf_counter()
        concurrent_ms = list(pool.map(timed, [q + " " * (rounds + r) for r in range(rounds) for q in questions]))
        wall = time.perf_counter() - started
    return {
        "queries": len(single_ms), "embed_p50_ms": statistics.median(embed_ms),
        "single_p50_ms": statistics.median(single_ms), "single_p95_ms": _percentile(single_ms, 0.95),
        "concurrent_clients": clients, "concurrent_p50_ms": statistics.median(concurrent_ms),
        "concurrent_p95_ms": _percentile(concurrent_ms, 0.95), "throughput_qps": len(concurrent_ms) / wall,
        "p50_over_embed": statistics.median(single_ms) / statistics.median(embed_ms), "peak_rss_mb": peak_rss_mb(),
    }
