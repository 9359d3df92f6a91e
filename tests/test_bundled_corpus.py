"""The public knowledge base in corpus/: the official texts of ../shared/corpus, identical, without the signed
article; its shipped embeddings cover what ingest embeds; a new installation is ready from them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from assistant.components import Components
from assistant.embeddings import model_id
from assistant.embeddings.pack import PACK_FILE
from assistant.ingest.shipped import pack_coverage
from assistant.settings import Settings
from tests.conftest import BUNDLED_CORPUS

MIN_COVERAGE = 0.99
EXCLUDED = "interpretations/"  # a signed author's article, not an official text: evaluation corpus only
NOT_TEXTS = {"README.md", PACK_FILE}


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name not in NOT_TEXTS}


def catalog_rows(root: Path) -> list[dict[str, str]]:
    with (root / "CATALOG.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.shared
def test_bundled_texts_are_the_shared_ones_without_the_article(shared_corpus):
    shared = {f for f in files(shared_corpus) if not f.startswith(EXCLUDED)}
    assert files(BUNDLED_CORPUS) == shared
    for rel in shared - {"CATALOG.tsv"}:
        assert (BUNDLED_CORPUS / rel).read_bytes() == (shared_corpus / rel).read_bytes(), rel
    assert catalog_rows(BUNDLED_CORPUS) == [r for r in catalog_rows(shared_corpus) if not r["file"].startswith(EXCLUDED)]


def test_every_bundled_file_has_its_catalog_row():
    rows = {r["file"] for r in catalog_rows(BUNDLED_CORPUS)}
    assert files(BUNDLED_CORPUS) - {"CATALOG.tsv"} <= rows and not any(r.startswith(EXCLUDED) for r in rows)


def test_shipped_embeddings_cover_what_ingest_embeds():
    """Computed without a model: every chunk and sentence text an ingest of corpus/ embeds, by cache key."""
    settings = Settings()  # the defaults a new installation runs with
    cov = pack_coverage(BUNDLED_CORPUS, model_id(settings), settings.chunk_max_chars)
    assert cov.texts > 5000
    assert cov.share >= MIN_COVERAGE, (
        f"corpus/{PACK_FILE} covers {cov.covered} of {cov.texts} texts: run `assistant embeddings export corpus`")


@pytest.mark.slow
def test_a_new_installation_answers_from_the_bundled_corpus(bundled_index):
    parts = Components.load(bundled_index)
    assert {r.doc_id for r in parts.store.documents()} == {
        r["file"] for r in catalog_rows(BUNDLED_CORPUS) if "#" not in r["file"]}
    reply = parts.chat().answer("党员参加赌博怎么处分？")
    assert not reply.refused and reply.citations
    assert all((BUNDLED_CORPUS / c.doc_id).is_file() for c in reply.citations)
