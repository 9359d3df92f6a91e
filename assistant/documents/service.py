"""Knowledge-base management: add (upload), supersede, re-status and withdraw documents — for the API and CLI.

Uploaded files are stored under `<corpus_dir>/uploads/` with a CATALOG.tsv row, so a later
`assistant ingest <corpus_dir>` sees the same documents. Status decisions (in force / superseded by) are
written to the index itself and pinned there: they hold for documents from any corpus directory, also a
read-only one, and survive re-ingest. A withdrawn file is moved to `<corpus_dir>/.withdrawn/`, not deleted.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.documents.upload import check_content, safe_name
from assistant.errors import ConflictError, NotFoundError, RejectedUploadError, UnreadableFileError
from assistant.files import write_atomically
from assistant.ingest.catalog import KINDS, Catalog, CatalogEntry, save_entry
from assistant.ingest.chunking import chunk_document
from assistant.ingest.pipeline import Ingestor
from assistant.ingest.structure import parse_document
from assistant.loaders import load_text
from assistant.types import DocumentRecord

UPLOADS = "uploads"
STATUSES = ("in_force", "superseded")


@dataclass
class Added:
    document: DocumentRecord
    superseded: DocumentRecord | None = None
    replaced: bool = False


@dataclass
class Removed:
    document: DocumentRecord
    note: str


class DocumentService:
    """One instance per process; changes are serialised and announced through `on_change` (reload search)."""

    def __init__(self, ingestor: Ingestor, corpus_dir: Path, max_bytes: int,
                 on_change: Callable[[], object] | None = None):
        self.ingestor = ingestor
        self.store = ingestor.store
        self.corpus_dir = corpus_dir
        self.max_bytes = max_bytes
        self.on_change = on_change or (lambda: None)
        self._lock = threading.Lock()

    # --- reading --------------------------------------------------------------------------------
    def list(self) -> list[DocumentRecord]:
        return sorted(self.store.documents(), key=lambda r: r.doc_id)

    def get(self, doc_id: str) -> DocumentRecord:
        record = self.store.document(doc_id)
        if record is None:
            raise NotFoundError(f"没有这份文档：{doc_id[:200]}")
        return record

    # --- changes --------------------------------------------------------------------------------
    def add(self, filename: str, data: bytes, kind: str = "", title: str = "", status: str = "in_force",
            supersedes: str = "", replace: bool = False) -> Added:
        """Check, store and index one file; optionally mark the document it replaces as superseded."""
        name = safe_name(filename)
        check_content(name, data, self.max_bytes)
        kind, title, status, supersedes = kind.strip(), " ".join(title.split()), status.strip() or "in_force", \
            supersedes.strip()
        if kind and kind not in KINDS:
            raise RejectedUploadError(f"kind 应为 {'、'.join(sorted(KINDS))} 之一（留空则自动识别）")
        if status not in STATUSES:
            raise RejectedUploadError("status 应为 in_force 或 superseded")
        if len(title) > 200:
            raise RejectedUploadError("标题最多 200 字")
        doc_id = f"{UPLOADS}/{name}"
        with self._lock:
            old = self.store.document(doc_id)
            if old and not replace:
                raise ConflictError(f"已有同名文档 {doc_id}：如要更新，请设置 replace=true")
            target = self.get(supersedes) if supersedes else None
            if target and target.doc_id == doc_id:
                raise RejectedUploadError("文档不能替代它自己")
            entry = CatalogEntry(file=doc_id, kind=kind, title=title, status=status)
            self._check_parses(name, data, entry)
            record = self._store_and_index(doc_id, data, entry)
            superseded = self.store.set_status(target, "superseded", doc_id) if target else None
        self.on_change()
        return Added(record, superseded, replaced=old is not None)

    def set_status(self, doc_id: str, status: str | None = None, superseded_by: str | None = None) -> DocumentRecord:
        """In force, or superseded (by another document of the index)."""
        superseded_by = (superseded_by or "").strip() if superseded_by is not None else None
        if status is None:
            status = "superseded" if superseded_by else None
        if status is not None and status not in STATUSES:
            raise RejectedUploadError("status 应为 in_force 或 superseded")
        with self._lock:
            record = self.get(doc_id)
            status = status or record.status
            if status == "in_force" and superseded_by:
                raise RejectedUploadError("现行文档不能有 superseded_by；要标为被替代，请设 status=superseded")
            successor = record.superseded_by if superseded_by is None else superseded_by
            if status == "in_force":
                successor = ""
            if successor:
                if successor == doc_id:
                    raise RejectedUploadError("文档不能替代它自己")
                self.get(successor)
            updated = self.store.set_status(record, status, successor)
        self.on_change()
        return updated

    def remove(self, doc_id: str) -> Removed:
        """Take a document out of the index; its file, if it lives under the corpus directory, is moved aside."""
        with self._lock:
            record = self.get(doc_id)
            self.ingestor.remove(doc_id)
            note = self._withdraw_file(record)
        self.on_change()
        return Removed(record, note)

    # --- helpers --------------------------------------------------------------------------------
    def _check_parses(self, name: str, data: bytes, entry: CatalogEntry) -> None:
        """Parse in a scratch directory first: a file we cannot index is refused before anything changes."""
        with tempfile.TemporaryDirectory(prefix="policy-upload-") as scratch:
            path = Path(scratch) / name
            path.write_bytes(data)
            try:
                parsed = parse_document(load_text(path), entry=entry, part_entries={}, name=path.stem)
            except UnreadableFileError as err:
                raise RejectedUploadError(str(err)) from None
            if not chunk_document(parsed, entry.file, entry.title, self.ingestor.cap):
                raise RejectedUploadError(f"{name} 中没有可索引的正文")

    def _store_and_index(self, doc_id: str, data: bytes, entry: CatalogEntry) -> DocumentRecord:
        """Write the file and its catalog row, then ingest it; on failure put both back as they were."""
        path = self.corpus_dir / doc_id
        path.parent.mkdir(parents=True, exist_ok=True)
        previous = path.read_bytes() if path.exists() else None
        previous_entry = Catalog.load(self.corpus_dir).get(doc_id)
        write_atomically(path, data)
        save_entry(self.corpus_dir, doc_id, entry)
        try:
            report = self.ingestor.run([path], root=self.corpus_dir)
            if report.skipped:
                raise RejectedUploadError(report.skipped[0][1])
        except Exception:
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(previous)
            save_entry(self.corpus_dir, doc_id, previous_entry)
            raise
        return self.get(doc_id)

    def _withdraw_file(self, record: DocumentRecord) -> str:
        source = Path(record.source_path) if record.source_path else None
        corpus = self.corpus_dir.resolve()
        if source is None or not source.exists() or not source.resolve().is_relative_to(corpus):
            where = record.root or "原目录"
            return f"已移出索引；源文件不在语料目录 {self.corpus_dir} 中，仍留在 {where}，再次对该目录入库会重新加入"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        rel = source.resolve().relative_to(corpus).as_posix()
        aside = self.corpus_dir / ".withdrawn" / f"{stamp}-{source.name}"
        aside.parent.mkdir(parents=True, exist_ok=True)
        source.replace(aside)
        save_entry(self.corpus_dir, rel, None)
        return f"已移出索引；源文件已移至 {aside}"
