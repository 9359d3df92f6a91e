"""The small parts of answering: confidence, history-aware queries, the LLM citation post-processor."""

from __future__ import annotations

import pytest

from assistant.answer.history import contextual_query, needs_context
from assistant.answer.llm import UNSUPPORTED, CitationFilter
from assistant.answer.types import Turn
from assistant.retrieval.confidence import (
    agreement_signal,
    confidence,
    coverage_signal,
    dense_signal,
    is_answerable,
    names_unknown_document,
)
from assistant.types import Chunk, Hit

TEXT = "党员受到警告处分一年内、受到严重警告处分一年半内，不得在党内提拔职务或者进一步使用。"


def hit(text: str = TEXT, dense: float = 0.0, dense_rank: int = 0, bm25_rank: int = 0) -> Hit:
    chunk = Chunk(id="c", doc_id="d", title="中国共产党纪律处分条例", doc_title="中国共产党纪律处分条例",
                  kind="regulation", status="in_force", section="第十条", text=text, start=0, end=len(text))
    return Hit(chunk, 1.0, dense=dense, dense_rank=dense_rank, bm25_rank=bm25_rank)


@pytest.fixture
def tokenizer(shared_tokenizer):
    return shared_tokenizer


def test_signals(tokenizer):
    assert dense_signal([hit(dense=0.95)]) == 1.0 and dense_signal([hit(dense=0.5)]) == 0.0
    assert 0 < dense_signal([hit(dense=0.89)]) < 1
    assert agreement_signal([hit(dense_rank=1, bm25_rank=2)]) == 1.0
    assert agreement_signal([hit(dense_rank=1, bm25_rank=6)]) == 0.5
    assert agreement_signal([hit(dense_rank=1, bm25_rank=0)]) == 0.0
    assert coverage_signal("受到严重警告处分多久不得提拔？", [hit()], tokenizer) == 1.0
    assert coverage_signal("高考志愿填报从哪天开始？", [hit()], tokenizer) == 0.0


def test_on_topic_scores_above_off_topic(tokenizer):
    good = [hit(dense=0.93, dense_rank=1, bm25_rank=1)]
    off = [hit(dense=0.86, dense_rank=1, bm25_rank=0)]
    on_topic = confidence("受到严重警告处分多久不得提拔？", good, tokenizer)
    off_topic = confidence("今年高考志愿填报从哪天开始？", off, tokenizer)
    assert on_topic > 0.9 and off_topic < 0.2
    assert is_answerable(on_topic, 0.4) and not is_answerable(off_topic, 0.4)
    assert confidence("任何问题", [], tokenizer) == 0.0


def test_a_question_naming_a_missing_document_is_less_sure(tokenizer):
    known = {"中国共产党纪律处分条例", "纪律处分条例", "中国共产党廉洁自律准则", "廉洁自律准则"}
    assert names_unknown_document("《中国共产党党员教育管理工作条例》要求多少学时？", known)
    assert not names_unknown_document("《廉洁自律准则》有哪些要求？", known)
    assert not names_unknown_document("没有书名号的问题", known)
    hits = [hit(dense=0.93, dense_rank=1, bm25_rank=1)]
    question = "《中国共产党党员教育管理工作条例》对受到严重警告处分的党员提拔有什么规定？"
    assert confidence(question, hits, tokenizer, known) == pytest.approx(confidence(question, hits, tokenizer) / 2, abs=1e-3)


@pytest.mark.parametrize("question, expected", [
    ("那影响期怎么算？", True), ("这种情况呢", True), ("上述规定适用于退休干部吗？", True),
    ("受到严重警告处分的党员多长时间内不得提拔职务？", False),
])
def test_needs_context(question, expected):
    assert needs_context(question) is expected


def test_follow_up_carries_the_previous_key_terms(tokenizer):
    history = [Turn("user", "受到严重警告处分的党员多长时间内不得提拔？"), Turn("assistant", "一年半内不得提拔[1]。")]
    query = contextual_query("那影响期怎么算？", history, tokenizer)
    assert query.endswith("那影响期怎么算？")
    assert "严重警告" in query and "提拔" in query
    assert "一年半" not in query  # the assistant's words are not carried
    standalone = "受到开除党籍处分的党员几年内不得重新入党？"
    assert contextual_query(standalone, history, tokenizer) == standalone
    assert contextual_query("那影响期怎么算？", [], tokenizer) == "那影响期怎么算？"


def _filtered(pieces: list[str], passages: int = 2) -> tuple[str, CitationFilter]:
    checker = CitationFilter(passages)
    return "".join(checker.feed(p) for p in pieces) + checker.finish(), checker


def test_citation_filter_drops_unknown_markers_and_flags_unsupported_sentences():
    text, checker = _filtered(["受到严重警告处分一年半内不得提拔[1][9]。影响期届满后可以正常使用。", "综上[2]。"])
    assert text == f"受到严重警告处分一年半内不得提拔[1]。影响期届满后可以正常使用{UNSUPPORTED}。综上[2]。"
    assert checker.removed == 1 and checker.unsupported == 1
    assert "1 句" in checker.notice()


def test_citation_filter_normalises_marker_styles():
    text, checker = _filtered(["依据第十条规定处理【1】。也可参照第十九条[1, 2]。"])
    assert text == "依据第十条规定处理[1]。也可参照第十九条[1][2]。"
    assert checker.notice() is None


def test_citation_filter_gives_the_same_text_piece_by_piece():
    whole = "受到严重警告处分一年半内不得提拔。[1]影响期届满后可以正常使用[2][7]。没有依据的一句话在这里。\n短句。"
    at_once, _ = _filtered([whole])
    for size in (1, 2, 3, 7):
        pieces = [whole[i:i + size] for i in range(0, len(whole), size)]
        assert _filtered(pieces)[0] == at_once
    assert at_once.count(UNSUPPORTED) == 1 and "[7]" not in at_once


def test_a_refusal_from_the_model_is_not_flagged():
    text, checker = _filtered(["知识库中未找到与该问题直接相关的规定。"])
    assert UNSUPPORTED not in text and checker.unsupported == 0
