"""The retriever's snapshot kept on local disk, keyed by what it was built from: a restart on an unchanged
index reads one folder instead of the whole store.

The folder is ours, written beside the index (`snapshots/snapshot-<key>/`, made in a temporary folder and
renamed into place); anything unreadable or stale is ignored and rebuilt. Its formats are plain data
(see snapshot.py): whoever can write `index/` cannot make the server run code through it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

from assistant.retrieval.snapshot import Snapshot

log = logging.getLogger("assistant.retrieval")
VERSION = "snapshot-v7"  # bump when the snapshot's layout changes


class SnapshotCache:
    def __init__(self, folder: Path, identity: str):
        self.folder = folder
        self.identity = identity  # the store and model the snapshot comes from

    def _path(self, stamp: tuple) -> Path:
        key = hashlib.sha256(f"{VERSION}\x00{self.identity}\x00{stamp!r}".encode()).hexdigest()[:32]
        return self.folder / f"snapshot-{key}"

    def load(self, stamp: tuple) -> Snapshot | None:
        path = self._path(stamp)
        if not path.is_dir():
            return None
        try:
            snap = Snapshot.read(path)
        except Exception as err:  # noqa: BLE001 - a damaged or foreign folder is just rebuilt
            log.warning("ignoring unreadable snapshot %s: %s", path, err)
            return None
        return snap if snap.stamp == stamp else None

    def save(self, snap: Snapshot) -> None:
        path = self._path(snap.stamp)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            snap.write(tmp)
            shutil.rmtree(path, ignore_errors=True)
            tmp.rename(path)
            for old in self.folder.glob("snapshot-*"):
                if old != path:
                    shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
        except OSError as err:  # a read-only index directory: search works, start-up is just slower
            log.info("snapshot not saved (%s): %s", path, err)
            shutil.rmtree(tmp, ignore_errors=True)
