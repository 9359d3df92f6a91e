"""Incremental ingest with the fake embedder on small synthetic corpora written to tmp_path."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from assistant.cli import app
from assistant.components import Components
from assistant.errors import AssistantError, IndexModelMismatchError
from assistant.settings import Settings
from assistant.store import ChromaStore

POLICY = """# 关于加强干部教育培训的若干措施

## 一、强化理论学习

（一）开展专题学习。各级党组织要组织干部集中学习党的创新理论，每季度不少于一次。

（二）用好网络平台。依托干部网络学院开设专题班，推动学习常态化。

## 二、加强实践锻炼

（三）选派干部到基层一线。每年选派一批年轻干部到乡镇（街道）挂职锻炼。
"""

REGULATION = """某某工作条例

第一章 总则

第一条 为了规范某某工作，根据有关规定，制定本条例。

第二条 有下列情形之一的，可以免除责任：
（一）因缺乏经验先行先试出现失误；
（二）因上级决策部署调整出现失误。

第二章 附则

第三条 本条例自发布之日起施行。
"""

NOTICE = """关于做好年度考核工作的通知

各单位：
现就做好年度考核工作通知如下。考核要坚持实事求是，注重工作实绩。
"""

DOCS = {"policy.md": POLICY, "rules/regulation.txt": REGULATION, "notice.txt": NOTICE}


def write_corpus(root: Path, docs: dict[str, str] = DOCS) -> Path:
    for rel, text in docs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def _one_tokenizer(shared_tokenizer):
    """Components.load builds a jieba tokenizer each time; these tests load components often."""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


def load_components(settings: Settings) -> Components:
    return Components.load(settings, create=True)


def ingest(settings: Settings, *paths: Path):
    """One run with freshly loaded components, as one CLI invocation would do."""
    parts = load_components(settings)
    return parts.ingestor().run(list(paths)), parts.store


def records(store: ChromaStore) -> dict[str, list[str]]:
    return {r.doc_id: r.chunk_ids for r in store.documents()}


def settings_in(tmp_path: Path, name: str) -> Settings:
    return Settings(index_dir=tmp_path / name, embedder="fake", embedding_cache=tmp_path / "cache.sqlite")


# --- incremental ---------------------------------------------------------------------------------


def test_incremental_ingest(fake_settings, corpus):
    first, store = ingest(fake_settings, corpus)
    assert sorted(first.added) == sorted(DOCS) and not first.updated and not first.removed and not first.skipped
    assert first.documents == 3 and first.chunks == first.total_chunks > 3
    assert first.sentences > 0 and first.embedded == first.chunks + first.sentences
    built = records(store)
    assert store.all_chunk_ids() == store.live_chunk_ids() == {cid for ids in built.values() for cid in ids}
    assert store.sentence_owner_ids() <= store.live_chunk_ids()

    started = time.perf_counter()
    second, store = ingest(fake_settings, corpus)
    assert time.perf_counter() - started < 5
    assert second.seconds < 2
    assert second.chunks == 0 and second.embedded == 0 and second.unchanged == 3
    assert not second.added and not second.updated and not second.removed
    assert records(store) == built

    (corpus / "notice.txt").write_text(NOTICE + "考核结果作为干部选拔任用的重要依据。\n", encoding="utf-8")
    third, store = ingest(fake_settings, corpus)
    assert third.updated == ["notice.txt"] and not third.added and third.unchanged == 2
    assert third.chunks == len(records(store)["notice.txt"])
    after = records(store)
    assert after["notice.txt"] != built["notice.txt"]
    others = set(DOCS) - {"notice.txt"}
    assert {k: after[k] for k in others} == {k: built[k] for k in others}  # the others were not rewritten
    assert store.all_chunk_ids() == store.live_chunk_ids()  # the old version's chunks are gone
    text = "".join(c.text for c in store.load_chunks(after["notice.txt"])[0])
    assert "重要依据" in text

    (corpus / "rules" / "regulation.txt").unlink()
    fourth, store = ingest(fake_settings, corpus)
    assert fourth.removed == ["rules/regulation.txt"] and fourth.documents == 2
    assert "rules/regulation.txt" not in {r.doc_id for r in store.documents()}
    assert not set(built["rules/regulation.txt"]) & store.all_chunk_ids()
    assert store.all_chunk_ids() == store.live_chunk_ids()
    assert not set(built["rules/regulation.txt"]) & store.sentence_owner_ids()  # its sentence vectors went too


def test_chunk_ids_stable_across_rebuilds(tmp_path, corpus):
    _, store_a = ingest(settings_in(tmp_path, "index-a"), corpus)
    copy = shutil.copytree(corpus, tmp_path / "elsewhere" / "corpus")
    _, store_b = ingest(settings_in(tmp_path, "index-b"), copy)
    assert records(store_a) == records(store_b)
    assert store_a.all_chunk_ids() == store_b.all_chunk_ids()
    chunks_a = sorted(store_a.load_chunks()[0], key=lambda c: c.id)
    chunks_b = sorted(store_b.load_chunks()[0], key=lambda c: c.id)
    assert [(c.id, c.section, c.text) for c in chunks_a] == [(c.id, c.section, c.text) for c in chunks_b]


def test_chunk_metadata_round_trips(fake_settings, corpus):
    _, store = ingest(fake_settings, corpus)
    chunks = {c.section: c for c in store.load_chunks()[0]}
    measure = chunks["一、强化理论学习 > （一）开展专题学习"]
    assert measure.title == "关于加强干部教育培训的若干措施" and measure.doc_id == "policy.md"
    assert measure.text.startswith("（一）开展专题学习。")
    article = chunks["第一章 总则 > 第二条"]
    assert article.article_no == 2 and article.kind == "regulation" and "（二）因上级决策部署调整出现失误。" in article.text


# --- bad input ---------------------------------------------------------------------------------------


def _random_bytes(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def test_bad_files_are_skipped_and_named(fake_settings, corpus):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "tool.exe").write_bytes(b"MZ\x90\x00" + _random_bytes(200))
    (corpus / "broken.docx").write_bytes(_random_bytes(2000))
    report, store = ingest(fake_settings, corpus)
    skipped = dict(report.skipped)
    assert set(skipped) == {"empty.txt", "tool.exe", "broken.docx"}
    assert "empty.txt" in skipped["empty.txt"]
    assert ".exe" in skipped["tool.exe"]
    assert "broken.docx" in skipped["broken.docx"]
    assert sorted(report.added) == sorted(DOCS)
    assert {r.doc_id for r in store.documents()} == set(DOCS)


def test_missing_path_is_an_error(fake_settings, tmp_path):
    parts = load_components(fake_settings)
    with pytest.raises(AssistantError, match="路径不存在"):
        parts.ingestor().run([tmp_path / "nonexistent"])


def test_bad_files_do_not_lose_indexed_documents(fake_settings, corpus):
    document = Document()
    for line in ["关于规范公务接待工作的规定", "第一条 为了规范公务接待，制定本规定。", "第二条 接待应当简化礼仪。",
                 "第三条 本规定自发布之日起施行。"]:
        document.add_paragraph(line)
    document.save(corpus / "reception.docx")
    first, store = ingest(fake_settings, corpus)
    assert "reception.docx" in first.added
    before, ids_before = records(store), store.all_chunk_ids()

    (corpus / "broken.docx").write_bytes(_random_bytes(3000))
    (corpus / "reception.docx").write_bytes(_random_bytes(3000, seed=11))  # an indexed file goes bad
    second, store = ingest(fake_settings, corpus)
    assert {name for name, _ in second.skipped} == {"broken.docx", "reception.docx"}
    assert not second.removed and not second.added and not second.updated
    assert records(store) == before
    assert store.all_chunk_ids() == ids_before


# --- interrupted ingest --------------------------------------------------------------------------------


def test_interrupted_ingest_recovers(tmp_path, corpus, monkeypatch):
    settings = settings_in(tmp_path, "index")
    _, store = ingest(settings, corpus)
    before = records(store)

    (corpus / "policy.md").write_text(POLICY + "\n（四）完善考核机制。把培训情况纳入年度考核。\n", encoding="utf-8")
    (corpus / "rules" / "regulation.txt").write_text(REGULATION.replace("免除责任", "从轻处理"), encoding="utf-8")
    real_put = ChromaStore.put_document
    calls = []

    def crash_on_second(self, record):
        calls.append(record.doc_id)
        if len(calls) == 2:
            raise RuntimeError("模拟中断：片段已写入，文档记录未写入")
        real_put(self, record)

    monkeypatch.setattr(ChromaStore, "put_document", crash_on_second)
    with pytest.raises(RuntimeError, match="模拟中断"):
        ingest(settings, corpus)
    monkeypatch.setattr(ChromaStore, "put_document", real_put)

    store = load_components(settings).store
    interrupted = records(store)
    crashed = calls[1]
    assert interrupted[crashed] == before[crashed]  # the crashed document still points at its old chunks
    assert interrupted[calls[0]] != before[calls[0]]  # the one before it was committed
    assert store.live_chunk_ids() <= store.all_chunk_ids()  # every listed chunk exists
    assert store.all_chunk_ids() - store.live_chunk_ids()  # the crashed write left orphans behind
    assert store.sentence_owner_ids() - store.live_chunk_ids()  # and orphaned sentence vectors
    listed = [cid for ids in interrupted.values() for cid in ids]
    assert len(store.load_chunks(listed)[0]) == len(listed)

    rerun, store = ingest(settings, corpus)
    assert rerun.updated == [crashed] and rerun.unchanged == 2
    assert store.all_chunk_ids() == store.live_chunk_ids()  # no orphans
    assert store.sentence_owner_ids() <= store.live_chunk_ids()

    _, clean = ingest(settings_in(tmp_path, "clean-index"), corpus)
    assert records(store) == records(clean)
    assert store.all_chunk_ids() == clean.all_chunk_ids()
    assert store.sentence_owner_ids() == clean.sentence_owner_ids()


# --- embedder model --------------------------------------------------------------------------------


def test_other_embedder_model_is_refused(fake_settings, corpus):
    _, store = ingest(fake_settings, corpus)
    ChromaStore(fake_settings.index_dir, fake_settings.collection, store.model)  # the same model opens
    with pytest.raises(IndexModelMismatchError, match="assistant ingest"):
        ChromaStore(fake_settings.index_dir, fake_settings.collection, "other-model")


# --- bugs found and fixed: pinned so they stay fixed ------------------------------------------------------


def test_embedded_counts_only_this_run(fake_settings, corpus):
    ingestor = load_components(fake_settings).ingestor()
    ingestor.run([corpus])
    assert ingestor.run([corpus]).embedded == 0


def test_file_of_page_artefacts_only_is_skipped(fake_settings, corpus):
    (corpus / "blank-page.txt").write_text("— 3 —\n(此页无正文)\n", encoding="utf-8")
    report, _ = ingest(fake_settings, corpus)
    assert "blank-page.txt" in dict(report.skipped)
    assert sorted(report.added) == sorted(DOCS)


def test_ingesting_one_file_keeps_its_siblings(fake_settings, corpus):
    ingest(fake_settings, corpus)
    (corpus / "notice.txt").write_text(NOTICE + "考核结果作为干部选拔任用的重要依据。\n", encoding="utf-8")
    report, store = ingest(fake_settings, corpus / "notice.txt")
    assert report.updated == ["notice.txt"]
    assert not report.removed
    assert {r.doc_id for r in store.documents()} == set(DOCS)


# --- command line ----------------------------------------------------------------------------------------

ENV = {"ASSISTANT_EMBEDDER": "fake"}


def _flat(output: str) -> str:
    """Rich wraps (and folds long words) at the terminal width: compare with all whitespace removed."""
    return "".join(output.split())


def test_cli_ingest_and_stats(tmp_path, corpus):
    runner = CliRunner()
    index = tmp_path / "cli-index"
    result = runner.invoke(app, ["ingest", str(corpus), "--index-dir", str(index)], env=ENV)
    assert result.exit_code == 0, result.output
    assert "入库结果" in result.output

    result = runner.invoke(app, ["stats", "--index-dir", str(index)], env=ENV)
    assert result.exit_code == 0, result.output
    for doc_id in ["policy.md", "notice.txt"]:
        assert doc_id in result.output
    assert "共3个文档" in _flat(result.output)


def test_cli_ingest_missing_path(tmp_path):
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "nowhere"), "--index-dir", str(tmp_path / "i")],
                                env=ENV)
    assert result.exit_code != 0
    assert "路径不存在" in result.output and "nowhere" in _flat(result.output)
    assert isinstance(result.exception, SystemExit)
    assert not (tmp_path / "i").exists()


def test_cli_search_without_index(tmp_path):
    result = CliRunner().invoke(app, ["search", "容错免责的条件", "--index-dir", str(tmp_path / "none")], env=ENV)
    assert result.exit_code != 0
    assert "assistantingest" in _flat(result.output)  # "…请先运行 assistant ingest 构建索引"
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
