"""The tolerance screening without an index: factor cues with negation, scope and double negation,
evidence as exact substrings, the outlook rule, the chat detector, input checks and the LLM checks."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from assistant.grounding.passage import Passage
from assistant.grounding.text import without_article
from assistant.tolerance.chat import is_tolerance_question
from assistant.tolerance.factors import FactorAnalyzer
from assistant.tolerance.lexicon import FACTORS, load_lexicon
from assistant.tolerance.llm import checked_reasoning, fill_with_llm
from assistant.tolerance.outlook import judge
from assistant.tolerance.rules import quote
from assistant.tolerance.service import check_situation
from assistant.tolerance.types import FactorFinding, ToleranceAssessment


@pytest.fixture(scope="module")
def analyzer() -> FactorAnalyzer:
    return FactorAnalyzer()


def verdicts(analyzer: FactorAnalyzer, text: str) -> dict[str, str]:
    return {f.factor: f.verdict for f in analyzer.findings(text)}


@pytest.mark.parametrize("text, factor, expected", [
    ("这个项目我没有拿任何好处", "motive", "supports"),
    ("这个项目我收了施工方的好处费", "motive", "against"),
    ("我没有收任何好处费", "motive", "supports"),
    ("好处费我一分没收", "motive", "supports"),
    ("企业老板送来的红包我当场退回了", "motive", "supports"),
    ("我绝无私心", "motive", "supports"),
    ("不能说我完全没有私心", "motive", "against"),  # double negation
    ("上级没有明令禁止这种做法", "prohibition", "supports"),
    ("上级明令禁止后我仍然按原方案推进", "prohibition", "against"),
    ("当时对这类做法尚无明确规定", "prohibition", "supports"),
    ("主管部门也没有提出反对意见", "prohibition", "supports"),
    ("主管部门当时就提出了反对意见", "prohibition", "against"),
    ("上级文件并非没有鼓励过这种探索", "exploratory", "supports"),  # double negation
    ("我确实不清楚这方面的规定", "knowingly", "supports"),
    ("我不是不知道这方面的规定", "knowingly", "against"),  # double negation on a negative cue
    ("我明知这样做不合规", "knowingly", "against"),
    ("我不知道这样做不合规", "knowingly", "supports"),
    ("为了通过验收，我让人把台账数字改高了", "knowingly", "against"),
    ("方案经过党委会集体研究", "collective", "supports"),
    ("方案没有经过集体研究", "collective", "against"),
    ("这件事是我一个人拍板定的", "collective", "against"),
    ("好在没有造成实际损失", "consequences", "supports"),
    ("造成了严重后果", "consequences", "against"),
])
def test_cue_and_negation(analyzer, text, factor, expected):
    assert verdicts(analyzer, text)[factor] == expected, text


def test_negation_does_not_cross_a_clause_or_a_scope_breaker(analyzer):
    assert verdicts(analyzer, "我没有请示，收了他们两万元")["motive"] == "against"
    assert verdicts(analyzer, "没有经过集体研究就收了他们的钱")["motive"] == "against"
    assert verdicts(analyzer, "不是为了私利而是为了尽快完成任务")["motive"] == "supports"


def test_words_that_only_contain_a_negator_do_not_negate(analyzer):
    assert verdicts(analyzer, "我们不断探索新模式")["exploratory"] == "supports"
    assert verdicts(analyzer, "我作为分管领导想了解一下能不能容错")["knowingly"] == "not stated"
    assert verdicts(analyzer, "我们单位被上级通报批评了")["collective"] == "not stated"
    assert verdicts(analyzer, "现在不知道会不会被追责")["knowingly"] == "not stated"


def test_repeat_after_a_warning_is_read_across_clauses(analyzer):
    assert verdicts(analyzer, "巡察时已经指出过车辆管理问题，结果半年后又出现了公车私用")["prohibition"] == "against"
    assert verdicts(analyzer, "系统上线后又出现了数据错乱")["prohibition"] == "not stated"


def _against(analyzer: FactorAnalyzer, text: str) -> set[tuple[str, str]]:
    return {(m.factor, m.strength) for m in analyzer.matches(text) if m.verdict == "against"}


@pytest.mark.parametrize("text, read", [
    # earmarked money lent or moved is diverted, in one clause or across clauses
    ("我们把救灾专项资金借给了合作社周转", True),
    ("上面拨的专项资金一时用不完，我让会计调走了一部分", True),
    # advanced pending the earmarked money, or allocated by the county: nothing diverted
    ("扶贫专项资金迟迟没到位，村里先垫付了材料款", False),
    ("这笔专项资金是县财政调拨的，全部用在修桥上", False),
    # a rectification notice carried on past is a warning ignored; not hearing of a rule, or not understanding, is not
    ("镇里发了整改通知，我们就没停", True),
    ("检查组指出问题以后，这事我没管", True),
    ("上级通报以后，我没听说还有新的要求", False),
    ("巡察指出问题以后，我不理解为什么要这样整改", False),
])
def test_money_moved_and_a_notice_carried_on_past_are_read(analyzer, text, read):
    assert (("knowingly", "decisive") in _against(analyzer, text)
            or ("prohibition", "decisive") in _against(analyzer, text)) == read, text


def test_evidence_is_an_exact_substring_and_every_factor_is_reported(analyzer):
    text = ("我们在全市率先试点一窗受理，方案经局党组会议研究通过，当时没有相关的规定。"
            "整个过程中我个人没有拿任何好处，发现问题后立即整改。")
    findings = analyzer.findings(text)
    assert [f.factor for f in findings] == list(FACTORS)
    for finding in findings:
        assert (finding.verdict == "not stated") == (not finding.evidence)
        assert all(e and e in text for e in finding.evidence)
    motive = next(f for f in findings if f.factor == "motive")
    assert motive.verdict == "supports" and "没有拿任何好处" in motive.evidence[0]


def test_lexicon_loads_and_rejects_a_malformed_row():
    lexicon = load_lexicon()
    assert {c.factor for c in lexicon.cues} == set(FACTORS) and lexicon.sequences
    with pytest.raises(ValueError, match="line 1"):
        load_lexicon("motive\tmaybe\tweak\t标签\t私利")


def finding(factor: str, verdict: str, strength: str = "") -> FactorFinding:
    return FactorFinding(factor=factor, name=FACTORS[factor], verdict=verdict,
                         evidence=["原话"] if verdict != "not stated" else [], strength=strength)


def findings_with(**given: tuple[str, str] | str) -> list[FactorFinding]:
    out = []
    for factor in FACTORS:
        value = given.get(factor, "not stated")
        verdict, strength = value if isinstance(value, tuple) else (value, "")
        out.append(finding(factor, verdict, strength))
    return out


def test_outlook_rule():
    assert judge(findings_with(motive=("against", "decisive"), exploratory="supports")) == "unlikely"
    assert judge(findings_with(motive="supports", prohibition=("against", "decisive"))) == "unlikely"
    # two favourable facts are enough without the motive (then asked for), unless a strong fact is against
    assert judge(findings_with(exploratory="supports", collective="supports")) == "likely_tolerable"
    assert judge(findings_with(exploratory="supports", collective="supports", consequences=("against", "strong"))) \
        == "insufficient_information"
    assert judge(findings_with(collective="supports")) == "insufficient_information"
    assert judge(findings_with(motive="supports")) == "insufficient_information"
    assert judge(findings_with(motive="supports", exploratory="supports")) == "likely_tolerable"
    assert judge(findings_with(motive="supports", knowingly="supports", collective=("against", "strong"))) \
        == "likely_tolerable"
    assert judge(findings_with(motive="supports", exploratory="supports", collective=("against", "strong"),
                               consequences=("against", "strong"))) == "unlikely"
    assert judge(findings_with(motive="supports", knowingly=("against", "strong"))) == "unlikely"
    # one favourable fact does not leave a strong fact against open: a likely outlook needs two
    assert judge(findings_with(motive="supports", collective=("against", "strong"))) == "unlikely"
    assert judge(findings_with(consequences=("against", "strong"))) == "unlikely"


@pytest.mark.parametrize("question, expected", [
    ("我为了赶工期没有走招标，但是没有收任何好处，经过班子集体研究，这种情况能容错吗？", True),
    ("我收了施工方两万元好处费，现在项目出了问题，会不会被问责？", True),
    ("我在工作中被群众举报了，说我违规操作，想知道有没有容错的可能。", True),
    ("容错纠错机制中的“三个区分开来”具体指什么？", False),
    ("我们单位想了解一下容错免责需要满足哪些条件和程序", False),
    ("受到严重警告处分的党员多长时间内不得提拔？", False),
])
def test_tolerance_question_detector(analyzer, question, expected):
    assert is_tolerance_question(question, analyzer) is expected


def test_situation_checks_speak_chinese():
    assert check_situation("  我为了推进工作简化了审批程序，没有拿任何好处。  ").startswith("我为了")
    with pytest.raises(ValueError, match="过短"):
        check_situation("能容错吗？")
    with pytest.raises(ValueError, match="过长"):
        check_situation("我" * 3001)
    with pytest.raises(ValueError, match="中文"):
        check_situation("I skipped the tender to speed things up, can this be tolerated?")


def test_quote_is_an_exact_substring_of_the_passage():
    text = ("第十七条 有下列情形之一的，可以不予问责或者免予问责：\n（一）在推进改革中因缺乏经验、先行先试出现的失误；\n"
            "（二）在集体决策中对错误决策提出明确反对意见或者保留意见的。")
    q = quote(text, "不予问责")
    assert q in text and q.startswith("第十七条") and "先行先试" in q
    body = without_article(q, "第十七条")  # the article is named in front of the quote, once
    assert body in text and body.startswith("有下列情形之一的")
    assert without_article(q, "第十八条") == q and without_article(q, "") == q
    long = "，".join(f"第{i}句话说的是一些无关的内容" for i in range(20)) + "，决策程序符合法律法规规定，未牟取私利。"
    q = quote(long, "决策程序", 40, lead=False)
    assert q in long and q.startswith("决策程序") and len(q) <= 40


def citation(n: int, text: str) -> Passage:
    return Passage(n=n, text=text, doc_id=f"d{n}", title=f"文件{n}", doc_number="", issuer="", date="", section="",
                    article="", status="in_force", score=0.0)


def assessment(situation: str, analyzer: FactorAnalyzer) -> ToleranceAssessment:
    return ToleranceAssessment(
        situation=situation, factors=analyzer.findings(situation), outlook="insufficient_information",
        reasoning="规则的理由[1]。", criteria=[], exclusions=[], similar_cases=[], procedure=[], questions_to_clarify=[],
        citations=[citation(1, "把为推动发展的无意过失，同为谋取私利的违纪违法行为区分开来。"), citation(2, "不该容的坚决不容。")],
        key_citations=[1])


class ScriptedModel:
    """A chat model that replies with the given text (or raises it)."""

    def __init__(self, reply):
        self.reply = reply
        self.prompts = []

    def invoke(self, messages):
        self.prompts.append(messages)
        if isinstance(self.reply, BaseException):
            raise self.reply
        return SimpleNamespace(content=self.reply)


def test_llm_reply_is_checked_against_the_situation_and_the_passages(analyzer):
    situation = "为了加快项目进度，我们简化了审批流程，我没有拿任何好处，方案经过党委会研究。"
    reply = json.dumps({
        "factors": {"motive": {"verdict": "supports", "evidence": ["我没有拿任何好处"]},
                    "knowingly": {"verdict": "against", "evidence": ["他明知故犯"]},  # not in the situation
                    "collective": {"verdict": "not stated", "evidence": []}},
        "outlook": "likely_tolerable",
        "reasoning": "动机为公，没有谋取私利[1][9]。这句没有依据。程序问题需要补充说明[2]。"}, ensure_ascii=False)
    result = fill_with_llm(ScriptedModel(f"```json\n{reply}\n```"), assessment(situation, analyzer))
    by = {f.factor: f for f in result.factors}
    assert result.mode == "llm" and result.notice is None and result.outlook == "likely_tolerable"
    assert by["motive"].evidence == ["我没有拿任何好处"]
    assert by["knowingly"].verdict == "not stated"  # the claim had no words of the situation: rules kept
    assert by["collective"].verdict == "not stated"
    assert result.reasoning == "动机为公，没有谋取私利[1]。程序问题需要补充说明[2]。"
    assert any("不清楚" in q or "集体研究" in q for q in result.questions_to_clarify)


def test_llm_failures_fall_back_to_the_rules(analyzer):
    situation = "为了加快项目进度，我们简化了审批流程，我没有拿任何好处，方案经过党委会研究。"
    base = assessment(situation, analyzer)
    for reply in ("根据规定，可以容错[1]。", json.dumps({"outlook": "maybe", "reasoning": "x[1]。"}),
                  json.dumps({"outlook": "unlikely", "reasoning": "没有任何引用的句子。"}), TimeoutError("slow")):
        result = fill_with_llm(ScriptedModel(reply), base)
        assert result.mode == "rules" and result.reasoning == base.reasoning and result.notice


def test_reasoning_without_the_key_passage_gets_it_added():
    text = checked_reasoning("不该容的坚决不容[2]。", passages=2, key=[1])
    assert re.findall(r"\[(\d+)\]", text) == ["2", "1"]
