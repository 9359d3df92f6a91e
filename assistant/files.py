"""Writing a file so that no reader ever sees half of it: into a temporary file beside it, then renamed."""

from __future__ import annotations

import uuid
from contextlib import suppress
from pathlib import Path


def write_atomically(path: Path, data: bytes | str) -> None:
    """`data` (text as UTF-8) to `path`, all or nothing; OSError as the disk gives it, the temporary file gone."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")  # unique: two processes may write at once
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        tmp.replace(path)
    except OSError:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
