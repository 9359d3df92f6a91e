"""A token the writers of an embedded store change around every commit, so a process can tell without
opening Chroma whether the store changed since it cached its snapshot.

Chroma itself cannot say so cheaply: opening it takes ~0.8 s (its import), and it rewrites its SQLite file
on every open, so the file's time or size says nothing. The token is `index_dir/generation`, replaced
atomically before and after each write of a document record (the store's commit point, chroma_store.py):
a snapshot cached under the token read before its records were read is current while the token is unchanged.
A Chroma server is written by other hosts: it has no token, and its readers always ask it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from assistant.files import write_atomically

FILE = "generation"


class Generation:
    def __init__(self, index_dir: Path):
        self.path = index_dir / FILE

    def current(self) -> str:
        """The token now; made when missing (an index written before tokens existed), so its next start can
        be fast too. "" when it cannot be read or made: nothing is trusted then."""
        token = self._read()
        if not token:
            self.bump()
            token = self._read()
        return token

    def _read(self) -> str:
        try:
            return self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return ""

    def bump(self) -> None:
        """A new token (a read-only index is never written, so failing to write it loses nothing)."""
        with suppress(OSError):
            write_atomically(self.path, uuid.uuid4().hex)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Around a commit: before (a reader between the two reads a token the write will outdate) and after."""
        self.bump()
        try:
            yield
        finally:
            self.bump()
