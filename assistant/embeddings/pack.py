"""The embeddings that ship with a corpus: one compact file of vectors keyed by the embedding cache's own key
(sha256 of model and text), so a new installation takes them instead of running the model for minutes.

The file is a NumPy `.npz` (no pickle): `format`, `model`, `keys` (N × 32 bytes, the sha256 digests) and
`vectors` (N × dim, float16 by default: half the size of float32, and retrieval on the dev set is the same —
docs/benchmarks.md). Written by `assistant embeddings export`; read by `assistant ingest` from the root of a
corpus directory it ingests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.errors import AssistantError

PACK_FILE = "embeddings.npz"  # at the root of a corpus directory; ingest never reads it as a document
FORMAT = "policy-assistant-vectors-v1"
DTYPES = ("float16", "float32")


class VectorPack:
    """Vectors by key, read-only. `get` answers in float32, whatever the stored precision."""

    def __init__(self, model: str, keys: np.ndarray, vectors: np.ndarray, path: Path | None = None):
        if keys.ndim != 2 or keys.shape[1] != 32 or vectors.ndim != 2 or len(keys) != len(vectors):
            raise ValueError("keys must be N × 32 bytes and vectors N × dim")
        self.model = model
        self.keys = np.ascontiguousarray(keys, dtype=np.uint8)
        self.vectors = vectors
        self.path = path
        self._row = {bytes(k): i for i, k in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self._row)

    @classmethod
    def build(cls, model: str, vectors_by_key: dict[str, list[float]], dtype: str = "float16") -> VectorPack:
        """A pack of these (hex key → vector) pairs, sorted by key (the file is the same for the same content)."""
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}")
        ordered = sorted(vectors_by_key)
        keys = np.array([np.frombuffer(bytes.fromhex(k), dtype=np.uint8) for k in ordered], dtype=np.uint8)
        vectors = np.array([vectors_by_key[k] for k in ordered], dtype=np.float32).astype(dtype)
        return cls(model, keys.reshape(len(ordered), 32), vectors)

    @classmethod
    def load(cls, path: Path) -> VectorPack:
        """Read a file written by `save`; a damaged or foreign file is an AssistantError naming it."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["format"]) != FORMAT:
                    raise ValueError(f"格式 {data['format']} 不是 {FORMAT}")
                return cls(str(data["model"]), data["keys"], data["vectors"], path)
        except (OSError, KeyError, ValueError) as err:
            raise AssistantError(f"向量文件 {path} 无法读取：{err}（可删除后用 assistant embeddings export 重新生成）") from None

    def save(self, path: Path) -> None:
        """Write atomically (a reader never sees half a file)."""
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, format=np.array(FORMAT), model=np.array(self.model), keys=self.keys, vectors=self.vectors)
        tmp.replace(path)
        self.path = path

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        """The vectors of those hex keys this file holds, as float32."""
        found = {}
        for key in keys:
            row = self._row.get(bytes.fromhex(key))
            if row is not None:
                found[key] = self.vectors[row].astype(np.float32)
        return found
