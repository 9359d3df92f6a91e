"""The embeddings file shipped with a corpus: written from what ingest embeds, read by ingest instead of the
model, checked for coverage; with the fake embedder on a small corpus written to tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.components import Components
from assistant.embeddings import build_embeddings, model_id
from assistant.embeddings.cache import cache_key
from assistant.embeddings.fake import FakeEmbeddings
from assistant.embeddings.pack import PACK_FILE, VectorPack
from assistant.errors import AssistantError
from assistant.ingest.pipeline import corpus_texts
from assistant.ingest.shipped import export_pack, pack_coverage
from assistant.settings import Settings
from tests.test_ingest import write_corpus


@pytest.fixture(autouse=True)
def _one_tokenizer(shared_tokenizer):
    """Components.load builds a jieba tokenizer each time; these tests load components often."""


def fake(tmp_path: Path, name: str) -> Settings:
    """Fake-embedder settings with their own index and their own (empty) embedding cache."""
    return Settings(index_dir=tmp_path / name / "index", embedder="fake", embedding_cache=tmp_path / name / "c.sqlite")


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A corpus with its embeddings file, exported with the fake embedder."""
    corpus = write_corpus(tmp_path / "corpus")
    settings = fake(tmp_path, "export")
    export_pack(corpus, build_embeddings(settings), settings.chunk_max_chars)
    return corpus


@pytest.mark.parametrize("dtype, tolerance", [("float32", 0.0), ("float16", 1e-3)])
def test_pack_round_trip(tmp_path, dtype, tolerance):
    vectors = {cache_key("m", t): FakeEmbeddings().embed_query(t) for t in ["甲乙丙", "丁戊己", "庚辛"]}
    VectorPack.build("m", vectors, dtype).save(tmp_path / "p.npz")
    pack = VectorPack.load(tmp_path / "p.npz")
    assert pack.model == "m" and len(pack) == 3 and pack.vectors.dtype == np.dtype(dtype)
    got = pack.get([*vectors, cache_key("m", "不在其中")])
    assert set(got) == set(vectors)
    for key, vector in vectors.items():
        assert got[key].dtype == np.float32 and np.abs(got[key] - np.array(vector)).max() <= tolerance


def test_damaged_or_foreign_file_is_a_clear_error(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a numpy file")
    np.savez(tmp_path / "foreign.npz", vectors=np.zeros((2, 3)))
    for name in ("bad.npz", "foreign.npz"):
        with pytest.raises(AssistantError, match=f"向量文件 .*{name} 无法读取"):
            VectorPack.load(tmp_path / name)


def test_export_holds_exactly_what_ingest_embeds(tmp_path, shipped):
    settings = fake(tmp_path, "fresh")
    texts = set(corpus_texts([shipped], settings.chunk_max_chars))
    pack = VectorPack.load(shipped / PACK_FILE)
    assert len(pack) == len(texts) > 10 and pack.model == model_id(settings)
    assert set(pack.get([cache_key(pack.model, t) for t in texts])) == {cache_key(pack.model, t) for t in texts}
    # the same content gives the same file
    first = (shipped / PACK_FILE).read_bytes()
    export_pack(shipped, build_embeddings(settings), settings.chunk_max_chars)
    assert (shipped / PACK_FILE).read_bytes() == first


def test_ingest_takes_vectors_from_the_file_and_embeds_only_what_it_lacks(tmp_path, shipped):
    settings = fake(tmp_path, "fresh")
    report = Components.load(settings, create=True).ingestor().run([shipped])
    assert report.documents == 3 and not report.skipped  # the file itself is no document
    assert report.embedded == 0 and report.from_pack == report.chunks + report.sentences
    # the same index as one built by the model, vector for vector
    model = Components.load(fake(tmp_path, "model"), create=True)
    model.ingestor().run([shipped.rename(tmp_path / "copy")])
    ours = Components.load(settings).store.chunks.get(include=["embeddings"])
    theirs = model.store.chunks.get(include=["embeddings"])
    by_id = dict(zip(theirs["ids"], theirs["embeddings"]))
    assert all(np.abs(np.array(v) - by_id[i]).max() < 1e-3 for i, v in zip(ours["ids"], ours["embeddings"]))

    (tmp_path / "copy" / "added.txt").write_text("关于新增文件的通知\n\n第一条 本通知自发布之日起施行。第二条 另有规定。\n",
                                                  encoding="utf-8")
    again = Components.load(fake(tmp_path, "again"), create=True).ingestor().run([tmp_path / "copy"])
    assert again.from_pack == again.chunks + again.sentences - again.embedded and 0 < again.embedded <= 3


def test_a_file_of_another_model_is_not_used(tmp_path, shipped):
    pack = VectorPack.load(shipped / PACK_FILE)
    VectorPack(pack.model.replace("fake", "other"), pack.keys, pack.vectors).save(shipped / PACK_FILE)
    report = Components.load(fake(tmp_path, "fresh"), create=True).ingestor().run([shipped])
    assert report.from_pack == 0 and report.embedded > 0
    assert any("未使用" in note for note in report.notes)


def test_coverage_falls_when_the_corpus_changes(tmp_path, shipped):
    settings = fake(tmp_path, "check")
    full = pack_coverage(shipped, model_id(settings), settings.chunk_max_chars)
    assert full.share == 1.0 and full.texts == full.covered
    (shipped / "policy.md").write_text((shipped / "policy.md").read_text(encoding="utf-8").replace("每季度", "每月"),
                                       encoding="utf-8")
    changed = pack_coverage(shipped, model_id(settings), settings.chunk_max_chars)
    assert changed.texts == full.texts and changed.covered < full.covered
    assert pack_coverage(shipped, "another/model", settings.chunk_max_chars).covered == 0


def test_cli_export_check_and_ingest_say_what_they_did(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus")
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_EMBEDDING_CACHE", str(tmp_path / "export.sqlite"))
    runner = CliRunner()
    done = runner.invoke(app, ["embeddings", "export", str(corpus), "--dtype", "float32"])
    assert done.exit_code == 0, done.output
    assert "本次调用模型" in done.output and "float32" in done.output
    assert runner.invoke(app, ["embeddings", "check", str(corpus)]).exit_code == 0
    monkeypatch.setenv("ASSISTANT_EMBEDDING_CACHE", str(tmp_path / "fresh.sqlite"))
    ingest = runner.invoke(app, ["ingest", str(corpus), "--index-dir", str(tmp_path / "index")])
    assert ingest.exit_code == 0, ingest.output
    assert "取自随附向量文件" in ingest.output
    (corpus / "notice.txt").write_text("关于另一件事的通知\n\n全文已改写，与原先完全不同。\n", encoding="utf-8")
    stale = runner.invoke(app, ["embeddings", "check", str(corpus)])
    assert stale.exit_code == 1 and "assistant embeddings export" in stale.output
