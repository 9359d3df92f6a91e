"""The retriever's snapshot kept on local disk, keyed by what it was built from: a restart on an unchanged
index reads one folder instead of the whole store.

The folder is ours, written beside the index (`snapshots/snapshot-<key>/`, made in a temporary folder and
renamed into place); anything unreadable or stale is ignored and rebuilt. Its formats are plain data
(see snapshot.py): whoever can write `index/` cannot make the server run code through it.

Each folder also records the embedded store's change token (store/generation.py) read before the records it
was built from: while the token is the same, `current()` gives the snapshot without opening Chroma at all
(the API's start; it checks against the store right after it is ready).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

from assistant.files import write_atomically
from assistant.retrieval.snapshot import Snapshot

log = logging.getLogger("assistant.retrieval")
VERSION = "snapshot-v8"  # bump when the snapshot's layout changes
SOURCE = "source.txt"  # identity and change token of the store a snapshot was read from


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

    def current(self, generation: str) -> Snapshot | None:
        """The cached snapshot of this store if the store has not changed since (its change token is still
        `generation`), else None. No stamp needed: nothing is read from the store."""
        if not generation or not self.folder.is_dir():
            return None
        for path in self.folder.glob("snapshot-*"):
            try:
                source = (path / SOURCE).read_text("utf-8")
            except OSError:  # saved without a token, or being replaced
                continue
            if source != self._source(generation):
                continue
            try:
                return Snapshot.read(path)
            except Exception as err:  # noqa: BLE001 - unreadable: the store is read as before
                log.warning("ignoring unreadable snapshot %s: %s", path, err)
        return None

    def mark(self, stamp: tuple, generation: str) -> None:
        """Record that the snapshot of `stamp` is the store's as of change token `generation`."""
        path = self._path(stamp)
        if generation and path.is_dir():
            try:
                write_atomically(path / SOURCE, self._source(generation))
            except OSError as err:  # read-only: the next start reads the store, as before
                log.info("snapshot source not recorded (%s): %s", path, err)

    def _source(self, generation: str) -> str:
        return f"{VERSION}\n{self.identity}\n{generation}"

    def save(self, snap: Snapshot, generation: str = "") -> None:
        """Keep `snap` (and drop older ones); `generation`: the store's change token read before the records
        it was built from ("" when unknown: it is then found only by its stamp)."""
        path = self._path(snap.stamp)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            snap.write(tmp)
            if generation:
                (tmp / SOURCE).write_text(self._source(generation), "utf-8")
            shutil.rmtree(path, ignore_errors=True)
            tmp.rename(path)
            for old in self.folder.glob("snapshot-*"):
                if old != path:
                    shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
        except OSError as err:  # a read-only index directory: search works, start-up is just slower
            log.info("snapshot not saved (%s): %s", path, err)
            shutil.rmtree(tmp, ignore_errors=True)

