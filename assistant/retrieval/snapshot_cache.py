"""The retriever's in-memory snapshot (chunks, BM25, vectors) kept on local disk, keyed by what it was
built from: a restart on an unchanged index reads one file instead of the whole store (start-up ≤ 3 s).

The file is ours, written beside the index; anything unreadable or stale is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from pathlib import Path

log = logging.getLogger("assistant.retrieval")
VERSION = "snapshot-v1"  # bump when the snapshot's layout changes


class SnapshotCache:
    def __init__(self, folder: Path, identity: str):
        self.folder = folder
        self.identity = identity  # the store and model the snapshot comes from

    def _path(self, stamp: tuple) -> Path:
        key = hashlib.sha256(f"{VERSION}\x00{self.identity}\x00{stamp!r}".encode()).hexdigest()[:32]
        return self.folder / f"snapshot-{key}.pkl"

    def load(self, stamp: tuple):
        path = self._path(stamp)
        try:
            with path.open("rb") as handle:
                snap = pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception as err:  # noqa: BLE001 - a damaged or foreign file is just rebuilt
            log.warning("ignoring unreadable snapshot %s: %s", path, err)
            return None
        return snap if getattr(snap, "stamp", None) == stamp else None

    def save(self, snap) -> None:
        path = self._path(snap.stamp)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as handle:
                pickle.dump(snap, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            for old in self.folder.glob("snapshot-*.pkl"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as err:  # a read-only index directory: search works, start-up is just slower
            log.info("snapshot not saved (%s): %s", path, err)
