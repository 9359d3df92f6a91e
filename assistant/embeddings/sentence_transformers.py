"""Any sentence-transformers model a deployment configures (a name or a local directory)."""

from __future__ import annotations

import os

from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError


class SentenceTransformerEmbeddings(Embeddings):
    """Loads the model once, offline; e5/bge prefixes are the model's own business."""

    def __init__(self, model: str, batch_size: int = 16):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download weights at run time
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as err:  # the library raises many kinds for a bad path
            raise ConfigError(f"无法加载向量模型 {model}：{err}（请确认是本地已有的模型目录）") from err
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True)
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
