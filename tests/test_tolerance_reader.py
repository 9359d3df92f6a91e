"""The clause reader, the combination with the cue lexicon, decisive facts first, the questions an
insufficient outlook asks, and precedents matched by shared factors — on situations written for these
tests (none is from an evaluation set) and on chunks built here, without an index."""

from __future__ import annotations

import pytest

from assistant.tolerance.factors import DERELICTION, FactorAnalyzer, Match, combine_findings
from assistant.tolerance.lexicon import FACTORS
from assistant.tolerance.outlook import favourable, judge, questions
from assistant.tolerance.precedents import case_profiles, rank
from assistant.tolerance.reader import ClauseReader, load_examples, spans
from assistant.tolerance.types import QUESTIONS
from assistant.types import Chunk


@pytest.fixture(scope="module")
def analyzer() -> FactorAnalyzer:
    return FactorAnalyzer()


def read(analyzer: FactorAnalyzer, text: str) -> dict[str, tuple[str, str]]:
    return {f.factor: (f.verdict, f.strength) for f in analyzer.findings(text)}


def test_the_clause_set_loads_and_a_malformed_row_is_refused():
    examples = load_examples()
    assert len(examples) > 500 and {e.factor for e in examples} == set(FACTORS) | {"none"}
    assert all(e.source for e in examples)
    with pytest.raises(ValueError, match="line 2"):
        load_examples('{"text": "我没拿好处", "factor": "motive", "verdict": "supports"}\n'
                      '{"text": "我没拿好处", "factor": "motive", "verdict": "maybe"}')


def test_reports_left_out_are_not_learnt_from():
    examples = load_examples()
    source = examples[0].source
    reader = ClauseReader(examples, exclude_sources={source})
    assert len(reader.examples) == len(examples) - sum(e.source == source for e in examples)
    assert all(e.source != source for e in reader.examples)


def test_reader_reads_clauses_of_reports_it_never_saw():
    """Fitted without a fifth of the reports, it reads their clauses far better than chance (15 labels)."""
    examples = load_examples()
    sources = sorted({e.source for e in examples})
    held = set(sources[::5])
    reader = ClauseReader(examples, exclude_sources=held)
    test = [e for e in examples if e.source in held]
    labels, _ = reader.probabilities([e.text for e in test])
    right = sum(reader.labels[int(p.argmax())] == e.label for p, e in zip(labels, test))
    assert right / len(test) >= 0.5, right / len(test)


def test_readings_are_spans_of_the_situation_and_know_their_negation(analyzer):
    text = "这笔钱全部用在了村里的公益事业上，我个人一分钱都没揣进自己兜里。"
    readings = analyzer.reader.read(text, 0.4)
    assert readings and all(0 <= r.start < r.end <= len(text) for r in readings)
    assert {(a, b) for a, b in spans(text)} >= {(r.start, r.end) for r in readings}
    motive = [r for r in readings if r.factor == "motive"]
    assert motive and all(r.verdict == "supports" for r in motive)
    assert any(r.negated for r in motive)
    # a denial read by the model is the absence of gain, told apart from a purpose
    finding = next(f for f in analyzer.findings(text) if f.factor == "motive")
    assert finding.verdict == "supports" and finding.grounds == ["没有谋取私利"]


def test_the_reader_fills_what_the_cues_miss(analyzer):
    text = "这笔钱全部用在了村里的公益事业上，我个人一分钱都没揣进自己兜里。"
    cues = analyzer.variant(combine="cues")
    assert read(cues, text)["motive"][0] == "not stated"
    assert read(analyzer, text)["motive"][0] == "supports"


def test_combination_rules():
    cue = Match("collective", "supports", "strong", "集体研究决策", 0, 8, False, "经党组会议集体研究")
    model = [Match("collective", "against", "strong", "个人决定、未经集体研究", 10, 16, False, "我一个人定的", 0.5),
             Match("motive", "supports", "", "没有谋取私利", 17, 25, False, "一分钱都没揣兜里", 0.8)]
    by = {name: {f.factor: f.verdict for f in combine_findings([cue], model, name)}
          for name in ("cues", "reader", "cues_first", "merged")}
    assert (by["cues"]["collective"], by["cues"]["motive"]) == ("supports", "not stated")
    assert (by["reader"]["collective"], by["reader"]["motive"]) == ("against", "supports")
    # the lexicon where it found the factor, the model where it found nothing
    assert (by["cues_first"]["collective"], by["cues_first"]["motive"]) == ("supports", "supports")
    assert by["merged"]["collective"] == "against"  # both kept: the one stated last


@pytest.mark.parametrize("text", [
    "为了让群众早点拿到补贴，我让会计以培训费的名义开了发票报账，钱都用在了村里。",  # fabrication, public motive
    "上级拨下来的扶贫专项资金，我们拿去修了村委会的办公楼，一分钱也没进个人腰包。",  # earmarked money diverted
    "村里修水渠的工程交给了我弟弟的施工队来做，是村两委集体研究定的，价格也不高。",  # a relative gains
    "巡察组去年就指出过乱发补贴的问题，要求整改，可我们今年还是照样发了。",  # a warning ignored, told over clauses
    "检查组来之前，我们连夜把去年的会议记录补写了出来，其实那几次会根本没开。",  # paperwork made up afterwards
])
def test_decisive_facts_make_it_unlikely_whatever_the_motive(analyzer, text):
    findings = analyzer.findings(text)
    assert any(f.decisive for f in findings), {f.factor: f.verdict for f in findings}
    assert judge(findings) == "unlikely"
    assert questions("unlikely", findings) == []


def test_clean_motive_procedure_and_remedy_are_enough_without_exploratory_wording(analyzer):
    text = ("为了保证防汛物资及时到位，经局党组会议集体研究，我们先采购后补手续，我本人没有拿任何好处，"
            "事后及时补办了手续。")
    findings = analyzer.findings(text)
    by = {f.factor: f for f in findings}
    assert by["exploratory"].verdict == "not stated"
    assert set(by["motive"].grounds) == {"出于公心", "没有谋取私利"}
    assert favourable(findings) >= 4
    assert judge(findings) == "likely_tolerable"


def test_an_oversight_put_right_is_not_read_as_gain_of_the_villagers(analyzer):
    text = "我一时疏忽把一户的补助漏报了，发现后马上补报，村民也拿到了钱。"
    by = read(analyzer, text)
    assert by["motive"][0] != "against" and by["knowingly"][0] == "supports" and by["remedy"][0] == "supports"
    assert judge(analyzer.findings(text)) == "likely_tolerable"


def test_insufficient_asks_only_for_the_decisive_facts_left_unstated(analyzer):
    text = "我们单位去年采购了一批设备，后来审计说程序不对，现在纪委在调查我。"
    findings = analyzer.findings(text)
    assert judge(findings) == "insufficient_information"
    asked = questions("insufficient_information", findings)
    assert asked == [QUESTIONS["motive"], QUESTIONS["knowingly"], QUESTIONS["collective"]]
    told = "为了赶工期，" + text  # the motive stated, nothing else: only what is still missing is asked
    findings = analyzer.findings(told)
    assert judge(findings) == "insufficient_information"
    assert QUESTIONS["motive"] not in questions("insufficient_information", findings)
    assert QUESTIONS["exploratory"] not in questions("insufficient_information", findings)


def case(title: str, text: str, n: int) -> Chunk:
    return Chunk(id=f"c{n}", doc_id="cases", title=title, doc_title="案例汇编", kind="case", status="in_force",
                 section=f"{title} > 【基本案情及处理结果】", text=text, start=n * 1000, end=n * 1000 + len(text),
                 part_label="基本案情及处理结果")


def test_precedents_are_matched_by_shared_factors_and_say_why(analyzer):
    chunks = [
        case("甲某虚报冒领补贴案", "甲某以他人名义虚报冒领补贴资金3万元据为己有，受到党内严重警告处分。", 1),
        case("对乙某予以容错免责案", "乙某为加快项目进度，经党组会议集体研究后先行开工，未发现其谋取私利，"
                              "发现问题后及时纠正，决定对乙某予以容错。", 2),
        case("丙某违规收受礼金案", "丙某收受管理服务对象所送礼金2万元，受到党内警告处分。", 3),
    ]
    profiles = case_profiles(chunks, analyzer)
    assert {p.title for p in profiles} == {c.title for c in chunks}
    likely = "为了赶工期，经班子会集体研究先行施工，我个人没有拿任何好处，发现问题后我们马上纠正了。"
    ranked = rank(profiles, likely, analyzer.findings(likely))
    best, shared = ranked[0]
    assert best.title == "对乙某予以容错免责案"
    assert {s.factor for s in shared} >= {"collective", "remedy"}
    for s in shared:
        assert s.case_words in s.case_chunk.text and s.situation_words in likely
    fabricated = "为了让群众早点拿到补贴，我以几户村民的名义多报了补贴，钱都用在了村里。"
    best, shared = rank(profiles, fabricated, analyzer.findings(fabricated))[0]
    assert best.title == "甲某虚报冒领补贴案"
    assert any(s.factor == "knowingly" and s.verdict == "against" for s in shared)


DUTIES_LEFT_UNDONE = [  # one meaning in many wordings, none of them in the clause set
    "值班那天晚上我没在岗，回家睡觉去了", "上级布置的安全检查我们一直没有落实", "群众反映了好几次，我们一直拖着没处理",
    "排查任务下来后，我只让人打了几个电话了事", "对下属报上来的数据我从来没有核实过", "那几个月一次也没去巡查",
    "隐患早就发现了，但我们一直没有整改", "对村干部的监管我基本没管过", "我把排查表交给下面填，自己没再过问",
]


def test_a_duty_left_undone_is_read_in_many_wordings(analyzer):
    """The reader learned dereliction from real accountability reports (resources/tolerance_clauses.jsonl),
    not from cue words: most wordings it never saw read as a duty left undone (none of the 9 before those rows)."""
    read = [analyzer.reader.read(text) for text in DUTIES_LEFT_UNDONE]
    whole = [next((r for r in rs if r.end - r.start == len(t)), None) for rs, t in zip(read, DUTIES_LEFT_UNDONE)]
    assert sum(r is not None and (r.factor, r.verdict, r.strength) == ("exploratory", "against", "strong")
               for r in whole) >= 6


def test_a_duty_left_undone_and_nothing_in_favour_is_unlikely_and_says_why(analyzer):
    text = "我是河道的片区负责人，那几个月一次也没去巡查，上游有人往河里倒渣土我也不知道。这种情况能容错吗？"
    findings = analyzer.findings(text)
    by = {f.factor: f for f in findings}
    assert by["exploratory"].dereliction and by["exploratory"].ground == DERELICTION
    assert judge(findings) == "unlikely"


def test_the_reader_reads_the_same_after_every_fit():
    """A restart refits the reader: the same situation must read the same (saga is seeded)."""
    text = "我们村里几个干部商量后，没开群众会，就把专项资金拿去修了路，我自己一分钱没拿。"
    first, second = ClauseReader(), ClauseReader()
    assert (first.probabilities([text])[0] == second.probabilities([text])[0]).all()
