"""The extractive answerer on hand-built passages: sentence choice, order, markers, superseded sources."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from assistant.answer.answer_type import asks_quantity, states_quantity
from assistant.answer.extractive import extractive_answer, select_sentences, split_sentences
from assistant.grounding.in_force import prefer_in_force
from assistant.grounding.passage import Passage
from assistant.types import Chunk, Hit

NEW_ID, OLD_ID = "regulations/jilv-chufen-tiaoli-2023.md", "regulations/jilv-chufen-tiaoli-2018.md"
NEW_TITLE, OLD_TITLE = "中国共产党纪律处分条例", "中国共产党纪律处分条例（2018年修订）"
ART_21 = ("第二十一条　党员在党纪处分影响期内又受到党纪处分的，其影响期为原处分尚未执行的影响期与新处分影响期之和。"
          "影响期最长不超过六年。")
ART_10 = ("第十条　党员受到警告处分一年内、受到严重警告处分一年半内，不得在党内提拔职务或者进一步使用，"
          "也不得向党外组织推荐担任高于其原任职务的党外职务或者进一步使用。")


def chunk(text: str, *, doc_id: str = NEW_ID, title: str = NEW_TITLE, article: str = "", status: str = "in_force",
          superseded_by: str = "", section: str = "第一编 总则 > 第三章 纪律处分的运用规则") -> Chunk:
    return Chunk(id=f"{doc_id}#{article or len(text)}", doc_id=doc_id, title=title, doc_title=title, kind="regulation",
                 status=status, section=f"{section} > {article}" if article else section, text=text, start=0,
                 end=len(text), article=article, superseded_by=superseded_by)


def cite(chunks: list[Chunk]) -> list[Passage]:
    return [Passage.from_hit(n, Hit(c, 1.0 / n)) for n, c in enumerate(chunks, 1)]


@pytest.fixture
def tokenizer(shared_tokenizer):
    return shared_tokenizer


def test_split_sentences_keeps_end_marks_and_drops_blanks():
    text = "第一句。第二句；\n（一）第三句！第四句？\n\n没有句号"
    assert split_sentences(text) == ["第一句。", "第二句；", "（一）第三句！", "第四句？", "没有句号"]


def test_answer_opens_with_where_the_rule_stands(tokenizer):
    citations = cite([chunk(ART_21, article="第二十一条"), chunk(ART_10, article="第十条")])
    answer = extractive_answer("影响期内又受处分，影响期怎么算？", citations, tokenizer)
    assert answer.startswith("《中国共产党纪律处分条例》第二十一条：党员在党纪处分影响期内又受到党纪处分的")
    assert "之和[1]。" in answer
    assert "第二十一条　" not in answer  # the article label is said once, in front


def test_an_article_a_case_quotes_is_named_by_its_own_document(tokenizer):
    """A case's 【相关条款】 quotes the 纪律处分条例: 「《王某…案》第一百零三条」 would send a reader to an article the case
    does not have."""
    case = "王某组织公款吃喝并违规接受宴请案"
    quoted = replace(chunk("第一百零三条　违反有关规定组织、参加用公款支付的宴请、娱乐活动的，给予警告处分。", title=case,
                           article="第一百零三条", section=f"{case} > 【相关条款】 > 《中国共产党纪律处分条例》"),
                     kind="case", doc_title="执纪执法指导性案例汇编")
    passage = cite([quoted])[0]
    assert passage.where == f"《中国共产党纪律处分条例》第一百零三条（《{case}》所引）"
    assert passage.label == f"《{case}》（执纪执法指导性案例汇编）【相关条款】 · 《中国共产党纪律处分条例》 · 第一百零三条"
    answer = extractive_answer("组织公款宴请怎么处分？", [passage], tokenizer)
    assert answer.startswith(f"《中国共产党纪律处分条例》第一百零三条（《{case}》所引）：")
    own = cite([chunk(ART_10, article="第十条")])[0]  # a document's own article keeps the short form
    assert (own.where, own.label) == ("《中国共产党纪律处分条例》第十条", "《中国共产党纪律处分条例》第十条")


def test_two_to_four_sentences_in_document_order_each_with_its_marker(tokenizer):
    citations = cite([chunk(ART_21, article="第二十一条"), chunk(ART_10, article="第十条")])
    chosen = select_sentences("严重警告处分的影响期多长，影响期内又受处分怎么算？", citations, tokenizer)
    assert 2 <= len(chosen) <= 4
    answer = extractive_answer("严重警告处分的影响期多长，影响期内又受处分怎么算？", citations, tokenizer)
    lines = answer.splitlines()
    assert lines[0].startswith("《中国共产党纪律处分条例》第二十一条") and lines[1].startswith("《中国共产党纪律处分条例》第十条")
    # every marker refers to a listed passage, and every chosen sentence carries one
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer)} == {1, 2}
    assert answer.count("[") == len(chosen)
    first = lines[0]
    assert first.index("之和[1]") < first.index("六年[1]")


def test_no_overlap_falls_back_to_the_top_passage(tokenizer):
    answer = extractive_answer("完全无关的问题", cite([chunk(ART_21, article="第二十一条")]), tokenizer)
    assert answer.startswith("《中国共产党纪律处分条例》第二十一条：") and answer.endswith("[1]。")


def test_lead_in_colon_keeps_its_items(tokenizer):
    text = "第八十八条　公务员有下列情形之一的，予以辞退：\n（一）在年度考核中，连续两年被确定为不称职的；\n（二）不胜任现职工作的。"
    c = chunk(text, doc_id="gwy", title="中华人民共和国公务员法", article="第八十八条")
    answer = extractive_answer("公务员连续两年考核不称职会被辞退吗", cite([c]), tokenizer)
    assert "予以辞退[1]：（一）在年度考核中，连续两年被确定为不称职的[1]" in answer


def test_same_provision_in_superseded_text_is_dropped():
    old = chunk(ART_21, doc_id=OLD_ID, title=OLD_TITLE, article="第二十七条", status="superseded", superseded_by=NEW_ID)
    new = chunk(ART_21, article="第二十一条")
    other = chunk(ART_10, doc_id=OLD_ID, title=OLD_TITLE, article="第九条", status="superseded", superseded_by=NEW_ID)
    kept = prefer_in_force([Hit(old, 0.9), Hit(new, 0.8), Hit(other, 0.5)])
    assert [h.chunk for h in kept] == [new, other]


def test_in_force_text_is_preferred_over_superseded(tokenizer):
    """Ranked first, the 2018 text still gives way to the 2023 one that answers too."""
    old = chunk(ART_21.replace("第二十一条", "第二十七条").replace("六年", "五年"), doc_id=OLD_ID, title=OLD_TITLE,
                article="第二十七条", status="superseded", superseded_by=NEW_ID)
    new = chunk(ART_21, article="第二十一条")
    answer = extractive_answer("影响期内又受到党纪处分，影响期怎么算？", cite([old, new]), tokenizer,
                               {NEW_ID: NEW_TITLE, OLD_ID: OLD_TITLE})
    assert answer.startswith("《中国共产党纪律处分条例》第二十一条") and "[2]" in answer
    assert "[1]" not in answer and "2018" not in answer


def test_a_superseded_source_is_said_to_be_superseded(tokenizer):
    old = chunk(ART_21, doc_id=OLD_ID, title=OLD_TITLE, article="第二十七条", status="superseded",
                superseded_by=NEW_ID)
    answer = extractive_answer("影响期怎么算？", cite([old]), tokenizer, {NEW_ID: NEW_TITLE})
    assert answer.startswith("《中国共产党纪律处分条例（2018年修订）》第二十七条（该文件已被《中国共产党纪律处分条例》替代")
    orphan = replace(old, superseded_by="")
    assert "已被修订或废止" in extractive_answer("影响期怎么算？", cite([orphan]), tokenizer)


def test_heading_sentence_is_not_repeated(tokenizer):
    text = "(十三)加大对基层干部关心关爱力度。按规定对在乡镇机关工作的事业编制干部发放交通补贴。"
    c = chunk(text, doc_id="p", title="工作措施", section="五、关心关爱 > （十三）加大对基层干部关心关爱力度")
    answer = extractive_answer("基层干部交通补贴", cite([c]), tokenizer)
    assert answer == "《工作措施》（十三）加大对基层干部关心关爱力度：按规定对在乡镇机关工作的事业编制干部发放交通补贴[1]。"


@pytest.mark.parametrize(("question", "asks"), [("处分决定后多久宣布？", True), ("一级科员要干几年才能晋升？", True),
                                                ("补贴标准是多少？", True), ("公务员分哪几种？", False),
                                                ("影响期内又受处分怎么算？", False)])
def test_questions_asking_for_a_quantity(question, asks):
    assert asks_quantity(question) is asks


@pytest.mark.parametrize(("text", "states"), [("时间一般为1周左右", True), ("自接到申请之日起三十日内予以审批", True),
                                              ("警告，六个月", True), ("提高比例20%以上", True),
                                              ("一般应当在一个单位内统筹", False), ("举办专题培训班", False)])
def test_sentences_stating_a_quantity(text, states):
    assert states_quantity(text) is states


def test_a_passage_stating_the_asked_quantity_joins_the_leading_one(tokenizer):
    """The best-ranked passage shares the question's words but states no duration; the next one states it."""
    lead = chunk("定期举办专题培训班，组织领导干部赴沿海发达地区开展专题培训。", article="第四条")
    duration = chunk("培训以短期为主，时间一般为1周左右。", article="第五条")
    question = "专题培训一般安排多长时间？"
    assert "1周左右[2]" in extractive_answer(question, cite([lead, duration]), tokenizer)
    without_quantity = chunk("培训以短期为主，时间由各单位安排。", article="第五条")
    assert "[2]" not in extractive_answer(question, cite([lead, without_quantity]), tokenizer)


ART_5 = ("第五条　深化运用监督执纪“四种形态”，经常开展批评和自我批评，及时进行谈话提醒、批评教育、责令检查、诫勉，"
         "让“红红脸、出出汗”成为常态；党纪轻处分、组织调整成为违纪处理的大多数；党纪重处分、重大职务调整的成为少数；"
         "严重违纪涉嫌犯罪追究刑事责任的成为极少数。")
ITEMS = ("第八十九条　对有下列情形之一的公务员，不得辞退：\n（一）因公致残，被确认丧失或者部分丧失工作能力的；\n"
         "（二）患病或者负伤，在规定的医疗期内的；\n（三）女性公务员在孕期、产假、哺乳期内的；\n"
         "（四）法律、行政法规规定的其他不得辞退的情形。")


def test_a_rule_is_quoted_with_all_its_clauses(tokenizer):
    """「哪四种」: every clause of the 「；」 run, not only the one that shares the question's words; a sentence
    outside the run stays out when it says nothing of the question."""
    c = chunk(ART_5 + "各级党组织应当加强日常监督。", article="第五条")
    whole = extractive_answer("监督执纪“四种形态”具体是指哪四种？", cite([c]), tokenizer)
    assert "常态[1]" in whole and "极少数[1]" in whole and whole.count("[1]") == 4
    assert "日常监督" not in whole
    single = chunk("第十一条　对严重违纪的党员应当给予处分。各级党组织应当加强日常监督。", article="第十一条")
    assert "日常监督" not in extractive_answer("严重违纪的党员怎么处理？", cite([single]), tokenizer)


def test_numbered_items_come_with_their_lead_in_and_no_other_passage(tokenizer):
    c = chunk(ITEMS, doc_id="gwy", title="中华人民共和国公务员法", article="第八十九条")
    answer = extractive_answer("女性公务员在孕期能被辞退吗？", cite([c]), tokenizer)
    assert "不得辞退[1]：" in answer
    assert all(item in answer for item in ("（一）因公致残", "（二）患病或者负伤", "（三）女性公务员", "（四）法律"))
    other = chunk("第九十条　辞退公务员，按照管理权限决定。辞退决定应当以书面形式通知被辞退的公务员。",
                  doc_id="gwy", title="中华人民共和国公务员法", article="第九十条")
    answer = extractive_answer("女性公务员在孕期能被辞退吗？", cite([c, other]), tokenizer)
    assert "[2]" not in answer  # the list makes no other passage join
