"""Incremental ingest: only changed files are parsed and embedded; removed files leave the index."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.embeddings.pack import PACK_FILE, VectorPack
from assistant.errors import AssistantError, UnreadableFileError
from assistant.ingest.catalog import Catalog
from assistant.ingest.chunking import chunk_document, sentence_units
from assistant.ingest.structure import parse_document
from assistant.loaders import SUPPORTED_SUFFIXES, load_text
from assistant.store import ChromaStore
from assistant.tokenizer import TOKENIZER_VERSION, Tokenizer
from assistant.types import Chunk, DocumentRecord

PARSER_VERSION = "structure-v3"  # v3: long numbered headings no longer joined to the next line
VECTORS_LAYOUT = "chunk+sentences-v1"  # what is embedded per chunk; a change re-embeds every document
NOT_DOCUMENTS = {"catalog.tsv", "readme.md", "readme.txt", PACK_FILE}


@dataclass
class Source:
    path: Path
    root: Path
    doc_id: str


@dataclass
class IngestReport:
    documents: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    chunks: int = 0  # chunks written in this run
    sentences: int = 0  # sentence vectors written in this run
    total_chunks: int = 0  # chunks live in the index afterwards
    embedded: int = 0  # texts (chunks and sentences) sent to the model, not found in the cache
    from_pack: int = 0  # texts whose vectors came from a shipped embeddings file (corpus/embeddings.npz)
    notes: list[str] = field(default_factory=list)  # e.g. an embeddings file of another model, not used
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def discover(paths: list[Path], root: Path | None = None) -> tuple[list[Source], list[tuple[str, str]]]:
    """Document files under the given paths, and the files skipped with the reason.

    A document's id is its path relative to its root: the directory given, or for a file given alone its
    parent — or `root` when given (a file added to a corpus directory keeps the id a full ingest gives it).
    """
    sources, skipped = [], []
    for given in paths:
        if not given.exists():
            raise AssistantError(f"路径不存在：{given}")
        if root is not None and not given.resolve().is_relative_to(root.resolve()):
            raise AssistantError(f"{given} 不在语料目录 {root} 之下")
        base = root.resolve() if root is not None else (given if given.is_dir() else given.parent)
        files = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
        for path in files:
            rel = path.resolve().relative_to(base.resolve()).as_posix() if root is not None else \
                path.relative_to(base).as_posix()
            if any(part.startswith(".") for part in rel.split("/")) or path.name.lower() in NOT_DOCUMENTS:
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                skipped.append((rel, f"不支持的文件类型 {path.suffix or '（无扩展名）'}"))
                continue
            sources.append(Source(path=path, root=base.resolve(), doc_id=rel))
    return sources, skipped


def read_chunks(src: Source, catalog: Catalog, cap: int) -> tuple[list[Chunk], str]:
    """A document's chunks and kind (UnreadableFileError when it cannot be read)."""
    entry = catalog.get(src.doc_id)
    parsed = parse_document(load_text(src.path), entry=entry, part_entries=catalog.parts(src.doc_id),
                            name=src.path.stem)
    return chunk_document(parsed, src.doc_id, entry.title if entry else "", cap), parsed.kind


def sentence_rows(chunks: list[Chunk]) -> tuple[list[Chunk], list[int], list[str]]:
    """Per sentence of every multi-sentence chunk: its chunk, its ordinal and the text embedded for it."""
    owners, ordinals, texts = [], [], []
    for c in chunks:
        units = sentence_units(c.text)
        if len(units) > 1:  # a one-sentence chunk's own vector already is its sentence vector
            owners += [c] * len(units)
            ordinals += range(len(units))
            texts += [f"{c.title} {c.section}\n{u}" for u in units]
    return owners, ordinals, texts


def corpus_texts(paths: list[Path], cap: int) -> list[str]:
    """Every text an ingest of these paths embeds (chunks, then sentences, per document), without a model:
    what the shipped embeddings file holds and what its coverage test checks."""
    sources, _ = discover(paths)
    catalogs: dict[Path, Catalog] = {}
    texts: list[str] = []
    for src in sources:
        try:
            chunks, _ = read_chunks(src, catalogs.setdefault(src.root, Catalog.load(src.root)), cap)
        except UnreadableFileError:
            continue
        texts += [c.embed_text for c in chunks] + sentence_rows(chunks)[2]
    return texts


class Ingestor:
    """Brings the store in line with the files under the given roots."""

    def __init__(self, store: ChromaStore, embeddings: Embeddings, tokenizer: Tokenizer, chunk_max_chars: int,
                 on_change: Callable[[], object] | None = None):
        """`on_change`: called after a run that changed the index (a retriever in this process reloads)."""
        self.store = store
        self.on_change = on_change or (lambda: None)
        self.embeddings = embeddings
        self.tokenizer = tokenizer
        self.cap = chunk_max_chars

    def _hash(self, data: bytes, catalog: Catalog, doc_id: str) -> str:
        digest = hashlib.sha256(data)
        digest.update(repr((catalog.get(doc_id), sorted(catalog.parts(doc_id).items()), PARSER_VERSION,
                            TOKENIZER_VERSION, VECTORS_LAYOUT, self.cap, self.store.model)).encode())
        return digest.hexdigest()

    def run(self, paths: list[Path], on_progress: Callable[[str, int, int], None] | None = None,
            root: Path | None = None) -> IngestReport:
        """Ingest the files under `paths`; a directory given is a root whose vanished files leave the index."""
        started = time.perf_counter()
        misses_before = getattr(self.embeddings, "misses", 0)
        packs_before = getattr(self.embeddings, "from_packs", 0)
        sources, skipped = discover(paths, root)
        report = IngestReport(skipped=skipped)
        existing = {r.doc_id: r for r in self.store.documents()}
        catalogs: dict[Path, Catalog] = {}
        todo: list[tuple[Source, str, list[Chunk], str]] = []
        for src in sources:
            catalog = catalogs.setdefault(src.root, Catalog.load(src.root))
            try:
                data = src.path.read_bytes()
            except OSError as err:
                report.skipped.append((src.doc_id, f"无法读取：{err.strerror or err}"))
                continue
            digest = self._hash(data, catalog, src.doc_id)
            old = existing.get(src.doc_id)
            if old and old.content_hash == digest:
                report.unchanged += 1
                continue
            try:
                chunks, kind = read_chunks(src, catalog, self.cap)
            except UnreadableFileError as err:
                report.skipped.append((src.doc_id, str(err)))
                continue
            if not chunks:
                report.skipped.append((src.doc_id, "没有可索引的正文"))
                continue
            todo.append((src, digest, chunks, kind))

        if todo and (shipped := [p for p in paths if (p / PACK_FILE).is_file()]):
            report.notes += self._use_packs(shipped)  # read only when something is to be embedded
        total = sum(len(chunks) for _, _, chunks, _ in todo)
        done = 0
        for src, digest, chunks, kind in todo:
            report.sentences += self._write(src, digest, chunks, kind, existing.get(src.doc_id))
            (report.updated if src.doc_id in existing else report.added).append(src.doc_id)
            report.chunks += len(chunks)
            done += len(chunks)
            if on_progress:
                on_progress(src.doc_id, done, total)

        present = {src.doc_id for src in sources}
        roots = {str(p.resolve()) for p in paths if p.is_dir()}  # a file given alone removes nothing else
        for doc_id, record in existing.items():
            if record.root in roots and doc_id not in present:
                self.remove(doc_id)
                report.removed.append(doc_id)
        self.sweep()
        records = self.store.documents()
        report.documents = len(records)
        report.total_chunks = sum(len(r.chunk_ids) for r in records)
        report.embedded = getattr(self.embeddings, "misses", 0) - misses_before
        report.from_pack = getattr(self.embeddings, "from_packs", 0) - packs_before
        if report.added or report.updated or report.removed:
            self.on_change()
        report.seconds = time.perf_counter() - started
        return report

    def _use_packs(self, roots: list[Path]) -> list[str]:
        """Let the embedding cache take vectors from the shipped file at these roots; notes on files not used."""
        use = getattr(self.embeddings, "use_pack", None)
        if use is None:  # a bare embedder (no cache): nothing to put the vectors in
            return []
        notes = []
        for root in roots:
            pack = VectorPack.load(root / PACK_FILE)
            if pack.model != self.store.model:
                notes.append(f"{root / PACK_FILE} 是模型 {pack.model} 的向量，当前模型为 {self.store.model}：未使用")
                continue
            use(pack)
        return notes

    def _write(self, src: Source, digest: str, chunks: list[Chunk], kind: str, old: DocumentRecord | None) -> int:
        """Chunks, then their sentence vectors, then the record; returns the number of sentence vectors."""
        if old and old.pinned:  # an administrator's status decision outlives a changed file or catalog row
            chunks = [replace(c, status=old.status, superseded_by=old.superseded_by) for c in chunks]
        vectors = self.embeddings.embed_documents([c.embed_text for c in chunks])
        tokens = [self.tokenizer.tokens(f"{c.title} {c.section} {c.text}") for c in chunks]
        self.store.upsert_chunks(chunks, vectors, tokens)
        owners, ordinals, texts = sentence_rows(chunks)
        if texts:
            self.store.upsert_sentences(owners, ordinals, self.embeddings.embed_documents(texts))
        head = chunks[0]
        self.store.put_document(DocumentRecord(  # the commit point for this document
            doc_id=src.doc_id, title=head.doc_title, kind=kind, status=head.status, content_hash=digest,
            chunk_ids=[c.id for c in chunks], doc_number=head.doc_number, issuer=head.issuer, date=head.date,
            superseded_by=head.superseded_by, source_path=str(src.path.resolve()), root=str(src.root),
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"), pinned=bool(old and old.pinned),
        ))
        if old:
            keep = {c.id for c in chunks}
            self.store.delete_chunks([cid for cid in old.chunk_ids if cid not in keep])
        return len(texts)

    def remove(self, doc_id: str) -> None:
        """Drop a document: its record first (it disappears at once), then its chunks."""
        record = next((r for r in self.store.documents() if r.doc_id == doc_id), None)
        self.store.delete_document(doc_id)
        if record:
            self.store.delete_chunks(record.chunk_ids)

    def sweep(self) -> int:
        """Delete chunks (and sentence vectors) no document lists, left by an interrupted run."""
        live = self.store.live_chunk_ids()
        orphans = sorted(self.store.all_chunk_ids() - live)
        self.store.delete_chunks(orphans)
        self.store.delete_sentences_of(sorted(self.store.sentence_owner_ids() - live))
        return len(orphans)
