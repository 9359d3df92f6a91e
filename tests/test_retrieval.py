"""Retriever pieces: colloquial expansion, sentence units, per-sentence vectors, filters through Chroma."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant.ingest.chunking import sentence_units
from assistant.retrieval.hybrid import Filters
from assistant.retrieval.query import content_words
from tests.conftest import SEED_CORPUS


@pytest.mark.parametrize("question, official", [
    ("行政机关的公务员打麻将赌钱会受什么处分", "赌博"),
    ("党员在抖音上乱说话怎么处理", "网络空间"),
    ("村支书违法了能给什么处分", "基层群众性自治组织"),
    ("处分分几个档次", "种类"),
])
def test_colloquial_words_bring_official_terms(shared_tokenizer, question, official):
    extra = shared_tokenizer.expansion_tokens(question)
    assert set(shared_tokenizer.tokens(official)) & set(extra)
    assert not set(extra) & set(shared_tokenizer.tokens(question))  # only words the question lacks


def test_content_words_of_equal_length_keep_the_question_order(shared_tokenizer):
    """Not set order, which changes with the process's hash seed: the same question must rank the same way
    in every worker."""
    question = "干部培训时间安排补贴标准考核办法"
    words = content_words(question, shared_tokenizer)
    for a, b in zip(words, words[1:]):
        assert len(a) > len(b) or (len(a) == len(b) and question.index(a) < question.index(b)), words


def test_no_expansion_without_colloquial_words(shared_tokenizer):
    assert shared_tokenizer.expansion_tokens("第十八条的内容是什么") == []


@pytest.mark.parametrize("question", ["公务员下班后跑滴滴挣点钱行不行", "村委会主任把补助名额给了自家亲戚，会怎么处理"])
def test_expansion_is_the_same_with_the_question_tokens_given(shared_tokenizer, question):
    """Retrieval and the extractive answer pass the tokens they already cut; the expansion must not change."""
    given = shared_tokenizer.expansion_tokens(question, shared_tokenizer.query_tokens(question))
    assert given == shared_tokenizer.expansion_tokens(question) and given


def test_the_colloquial_lexicon_is_well_formed_and_its_rows_from_public_questions_name_their_sources():
    """Each row: official terms, a tab, triggers of two characters or more (a one-character trigger would fire
    on most questions); the rows written from real public Q&A list every observed pair with its page."""
    from importlib import resources

    folder = resources.files("assistant.resources")
    lines = [line for line in folder.joinpath("colloquial.tsv").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert len(lines) > 150
    for line in lines:
        official, triggers = line.split("\t")
        assert official.split() and all(len(t) >= 2 for t in triggers.split()), line
    pairs = folder.joinpath("colloquial.sources.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(pairs) > 300
    assert all(row.split("\t")[2].startswith("http") for row in pairs)


def test_no_colloquial_row_comes_from_the_page_an_evaluation_question_was_asked_on(shared_dir):
    """Otherwise the held-out figures would measure the lexicon on its own source."""
    import json
    from importlib import resources

    sets = [*(Path(__file__).resolve().parents[1] / "eval").glob("*.jsonl"), *(shared_dir / "eval").glob("*.jsonl")]
    origins = {row.get("origin") or row.get("source") for path in sets
               for row in map(json.loads, filter(str.strip, path.read_text(encoding="utf-8").splitlines()))}
    pairs = resources.files("assistant.resources").joinpath("colloquial.sources.tsv").read_text(encoding="utf-8")
    assert not {row.split("\t")[2] for row in pairs.splitlines()[1:]} & origins


def test_sentence_units_cover_the_text_and_join_short_pieces():
    text = "第九条 本办法所称。\n（一）在督查检查考核等工作中搞层层加码、过度留痕的；\n（二）短；\n（三）其他情形的。"
    units = sentence_units(text)
    assert "".join("".join(units).split()) == "".join(text.split())
    assert units[0].startswith("第九条") and "过度留痕" in units[0]
    assert all(len(u) >= 12 for u in units[:-1])
    assert sentence_units("一句话。") == ["一句话。"]


def test_filters_as_chroma_where():
    assert Filters().where() is None
    assert Filters(doc_ids=("a.md",)).where() == {"doc_id": {"$in": ["a.md"]}}
    both = Filters(kinds=("case_collection",), statuses=("in_force",)).where()
    assert both == {"$and": [{"kind": {"$in": ["case", "case_collection"]}}, {"status": {"$in": ["in_force"]}}]}


def test_sentence_vectors_and_filters_in_search(components, shared_tokenizer):
    components.ingestor().run([SEED_CORPUS])
    retriever = components.retriever()
    snap = retriever._snap
    assert len(snap.sentence_owner) > 0, "multi-sentence chunks carry their sentences vectors"
    assert snap.vectors.shape[0] == len(snap.chunks)
    doc = snap.chunks[0].doc_id
    hits = retriever.search("容错纠错", k=5, filters=Filters(doc_ids=(doc,)))
    assert hits and all(h.chunk.doc_id == doc for h in hits)
    assert retriever.search("容错纠错", k=5, filters=Filters(doc_ids=("nope.md",))) == []
    assert all(h.dense_rank == 0 for h in retriever.search("容错纠错", k=5, filters=Filters(statuses=("superseded",))))


def test_bm25_weighs_by_the_question_length(components):
    """A question of at most `short_question_chars` characters fuses BM25 at `short_bm25_weight`, a longer one at
    `bm25_weight` (blanks not counted)."""
    components.ingestor().run([SEED_CORPUS])
    retriever = components.retriever()
    short = "干部容错纠错的条件是什么"
    long = "我在推进改革试点工作中因为缺乏经验出现了失误，没有谋取私利，也经过了集体研究，想知道容错纠错的条件是什么"
    assert len(short) <= retriever.params.short_question_chars < len(long)

    def fused(question: str, short_weight: float, long_weight: float) -> dict[int, float]:
        retriever.params = replace(retriever.params, short_bm25_weight=short_weight, bm25_weight=long_weight)
        return retriever.candidates(question).fused

    assert fused(short, 0.0, 5.0) == fused(short, 0.0, 0.0) != fused(short, 5.0, 0.0)
    assert fused(long, 5.0, 0.0) == fused(long, 0.0, 0.0) != fused(long, 0.0, 5.0)
    assert fused(" ".join(short), 0.0, 5.0) == fused(" ".join(short), 0.0, 0.0)  # spaces are not length


def test_item_inside_a_long_article_is_found_by_its_sentence(tmp_path, embedding_cache):
    """With the real embedder: a question about one item of a long list article finds that article first."""
    from assistant.components import Components
    from assistant.settings import Settings

    items = "\n".join(f"（{n}）{text}" for n, text in enumerate([
        "违反规定发放津贴补贴的", "公款购买赠送烟酒的", "在督查检查考核等工作中搞层层加码、过度留痕，加重基层负担的",
        "违规使用公务用车的", "违规出入私人会所的", "违规组织参加公款宴请的", "借用管理服务对象车辆的"], 1))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "rules.txt").write_text(
        "某某工作纪律规定\n第一条 为了规范工作，制定本规定。\n"
        f"第二条 有下列行为之一的，给予批评教育：\n{items}\n"
        "第三条 本规定自发布之日起施行。\n", encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", embedding_cache=embedding_cache)
    comps = Components.load(settings, create=True)
    comps.ingestor().run([tmp_path / "c"])
    retriever = comps.retriever()
    question = "上级检查要求我们准备一堆台账材料证明干过活，基层负担太重"
    hits = retriever.search(question, k=3)
    assert hits[0].chunk.article == "第二条"
    retriever.params = replace(retriever.params, bm25_weight=0.0, short_bm25_weight=0.0, chunk_vector_share=1.0)
    whole = next(h for h in retriever.search(question, k=3) if h.chunk.article == "第二条")
    retriever.params = replace(retriever.params, chunk_vector_share=0.5)
    mixed = next(h for h in retriever.search(question, k=3) if h.chunk.article == "第二条")
    assert mixed.dense > whole.dense  # its best sentence is closer to the question than the whole article
