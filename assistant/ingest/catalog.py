"""CATALOG.tsv at a corpus root: kind, title, issuer, date and status per file (and per part)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.markers import DOC_NUMBER

KINDS = {"policy", "regulation", "regulation_collection", "case_collection", "interpretation"}


@dataclass(frozen=True)
class CatalogEntry:
    file: str
    kind: str = ""
    title: str = ""
    issuer: str = ""
    date: str = ""
    status: str = ""
    superseded_by: str = ""
    note: str = ""

    @property
    def doc_number(self) -> str:
        """A 文号 written into the issuer field, e.g. '中共陕西省委组织部（陕组发〔2020〕1号）'."""
        m = DOC_NUMBER.search(self.issuer)
        return m.group(0) if m else ""

    @property
    def issuer_name(self) -> str:
        number = self.doc_number
        name = self.issuer.replace(f"（{number}）", "").replace(f"({number})", "") if number else self.issuer
        return "" if name.strip() in {"—", "-", ""} else name.strip()

    @property
    def clean_date(self) -> str:
        return "" if self.date.strip() in {"—", "-"} else self.date.strip()

    @property
    def clean_status(self) -> str:
        return self.status if self.status in {"in_force", "superseded"} else "in_force"


class Catalog:
    """Rows keyed by file path relative to the corpus root; `file#part` rows describe collection parts."""

    def __init__(self, entries: dict[str, CatalogEntry] | None = None):
        self.entries = entries or {}

    @classmethod
    def load(cls, root: Path) -> Catalog:
        path = root / "CATALOG.tsv"
        if not path.is_file():
            return cls()
        entries = {}
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                file = (row.get("file") or "").strip()
                if not file:
                    continue
                kind = (row.get("kind") or "").strip()
                values = {k: (row.get(k) or "").strip() for k in CatalogEntry.__dataclass_fields__ if k != "file"}
                values["kind"] = kind if kind in KINDS else ""
                entries[file] = CatalogEntry(file=file, **values)
        return cls(entries)

    def get(self, rel_path: str) -> CatalogEntry | None:
        return self.entries.get(rel_path)

    def parts(self, rel_path: str) -> dict[str, CatalogEntry]:
        """Rows of the form 'file#part title', keyed by the part title."""
        prefix = rel_path + "#"
        return {k[len(prefix):]: v for k, v in self.entries.items() if k.startswith(prefix)}


COLUMNS = ["file", "kind", "title", "issuer", "date", "status", "superseded_by", "note"]


def save_entry(root: Path, file: str, entry: CatalogEntry | None) -> None:
    """Add or replace (entry) or drop (None) the row for `file` in root/CATALOG.tsv; other rows stay as
    they are. Written to a temporary file and renamed, under a lock shared with other processes."""
    import fcntl
    import os

    path = root / "CATALOG.tsv"
    with open(root / ".catalog.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        header, rows = list(COLUMNS), []
        if path.is_file():
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle, delimiter="\t")
                header = list(reader.fieldnames or COLUMNS)
                rows = [row for row in reader if (row.get("file") or "").strip() != file]
        header += [c for c in COLUMNS if c not in header]
        if entry is not None:
            rows.append({k: getattr(entry, k, "") for k in COLUMNS})
        tmp = path.with_name(".CATALOG.tsv.tmp")
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, delimiter="\t", extrasaction="ignore",
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
