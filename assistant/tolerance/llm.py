"""With an LLM configured, the model fills the same schema as the rules, and nothing it says is taken
on trust: evidence must be words of the situation, verdicts and the outlook must be known values, each
reasoning sentence must cite a numbered passage ([n] outside the list is removed; a sentence left
without one is dropped), and the 三个区分开来 passage must be cited. Any failure — the model cannot be
reached, its reply is not JSON, nothing survives the checks — returns the rule-based result with a notice.
"""

from __future__ import annotations

import json
import logging

from assistant.grounding.llm import LLM_UNAVAILABLE, is_unavailable, passages_block
from assistant.grounding.text import FULL_STOPS, MARKER, marker_numbers, split_sentences
from assistant.tolerance.lexicon import FACTORS
from assistant.tolerance.outlook import questions
from assistant.tolerance.types import OUTLOOK_LABELS, FactorFinding, ToleranceAssessment

log = logging.getLogger("assistant.tolerance")
SYSTEM_PROMPT = (
    "你协助干部对照容错纠错的规定梳理自己的情况。依据下面编号的条文和干部的描述，只输出一个 JSON 对象：\n"
    '{"factors": {"<因素>": {"verdict": "supports|against|not stated", "evidence": ["描述中的原话"]}}, '
    '"outlook": "likely_tolerable|unlikely|insufficient_information", "reasoning": "两到三句中文"}\n'
    "因素为：" + "；".join(f"{k}（{v}）" for k, v in FACTORS.items()) + "。\n"
    "要求：1. evidence 必须逐字摘自干部的描述，看清否定（“没有拿任何好处”有利于容错，“收了好处费”不利于容错）；"
    "2. 描述没有提到的因素填 not stated；3. 本人或亲友、他人得利，弄虚作假、骗取资金，挪用专项资金或他人的钱，"
    "明知故犯，明令禁止或多次提醒后依然我行我素的，即使说是为公，outlook 也为 unlikely；出发点为公或并非故意，"
    "并且还有集体研究或按程序报批、没有得利、及时纠正等至少一项有利事实的，为 likely_tolerable（不要求有“探索”字样）；"
    "出发点和是否故意都没有说明的，为 insufficient_information；"
    "4. reasoning 每句末尾用 [n] 标注所依据的条文编号，只能引用给出的编号，必须引用“三个区分开来”所在的条文；"
    "5. 是否容错由党组织决定，你只做初步对照，不下结论。"
)
FALLBACK_NOTICE = "大模型未能给出可核验的分析，以下为规则分析的结果"


def messages(result: ToleranceAssessment) -> list[tuple[str, str]]:
    hints = "；".join(f"{f.factor}: {f.verdict}" for f in result.factors)
    human = (f"条文：\n{passages_block(result.citations, {})}\n\n干部的描述：{result.situation}\n\n"
             f"规则初筛（供参考，可修正）：{hints}")
    return [("system", SYSTEM_PROMPT), ("human", human)]


def parse_reply(text: str) -> dict:
    """The JSON object of a reply (code fences and chatter around it tolerated); ValueError otherwise."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the reply")
    data = json.loads(text[start:end + 1])
    if not isinstance(data, dict):
        raise ValueError("the reply is not a JSON object")
    return data


def checked_reasoning(text: str, passages: int, key: list[int]) -> str:
    """Sentences that cite a listed passage, at most three; '' when none does. A missing citation of
    the 三个区分开来 passage is added as a sentence of its own."""
    kept, cited = [], set()
    for sentence in split_sentences(text or "", FULL_STOPS, markers=True):
        valid = list(dict.fromkeys(n for n in marker_numbers(sentence) if 1 <= n <= passages))
        body = MARKER.sub("", sentence).strip()
        if not valid or len(body) < 4:
            continue
        end = body[-1] if body[-1] in "。！？" else "。"
        kept.append(body.rstrip("。！？") + "".join(f"[{n}]" for n in valid) + end)
        cited.update(valid)
    kept = kept[:3]
    if kept and key and not cited & set(key):
        kept.append(f"判断所依据的是“三个区分开来”[{key[0]}]。")
    return "".join(kept)


def merge(data: dict, result: ToleranceAssessment) -> ToleranceAssessment:
    """The model's answer checked against the situation and the passages, rule findings filling gaps."""
    outlook = data.get("outlook")
    if outlook not in OUTLOOK_LABELS:
        raise ValueError(f"unknown outlook {outlook!r}")
    reasoning = checked_reasoning(str(data.get("reasoning", "")), len(result.citations), result.key_citations)
    if not reasoning:
        raise ValueError("no reasoning sentence cites a passage")
    given = data.get("factors") or {}
    factors = []
    for rule in result.factors:
        item = given.get(rule.factor) if isinstance(given, dict) else None
        verdict = item.get("verdict") if isinstance(item, dict) else None
        evidence = [e for e in (item.get("evidence") or []) if isinstance(e, str) and e.strip()
                    and e.strip() in result.situation] if isinstance(item, dict) else []
        if verdict == "not stated":
            factors.append(FactorFinding(factor=rule.factor, name=rule.name, verdict="not stated"))
        elif verdict in ("supports", "against") and evidence:
            same = verdict == rule.verdict
            factors.append(FactorFinding(factor=rule.factor, name=rule.name, verdict=verdict,
                                         evidence=[e.strip() for e in evidence], ground=rule.ground if same else "",
                                         strength=rule.strength if same else ""))
        else:  # unknown verdict, or a claim without words of the situation: keep what the rules found
            factors.append(rule)
    return result.model_copy(update=dict(
        factors=factors, outlook=outlook, reasoning=reasoning, mode="llm", notice=None,
        questions_to_clarify=questions(outlook, factors)))


def fill_with_llm(model, result: ToleranceAssessment) -> ToleranceAssessment:
    """The LLM's checked assessment, or the rule-based one with a notice on any failure."""
    try:
        reply = str(model.invoke(messages(result)).content)
        return merge(parse_reply(reply), result)
    except Exception as err:  # noqa: BLE001 - the rules' answer is always there to fall back on
        unavailable = is_unavailable(err)
        log.warning("tolerance LLM %s: %s", "unavailable" if unavailable else "reply rejected", err)
        return result.model_copy(update=dict(
            notice=LLM_UNAVAILABLE.replace("摘录式回答", "规则分析的结果") if unavailable else FALLBACK_NOTICE))
