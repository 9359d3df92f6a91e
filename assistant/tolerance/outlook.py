"""The outlook, by a rule a reader can check against the 三个区分开来 (为公 vs 为私, 无意 vs 明知故犯,
尚无明确限制 vs 明令禁止后依然我行我素). Decisive facts come first:

1. any decisive `against` — gain to the cadre, relatives or others; fabrication, forgery or obtaining money
   by deception; diverting earmarked or other people's money; an explicit ban or repeated warnings
   ignored — → unlikely, whatever motive is claimed;
2. a strong `against` on one of the distinctions (motive, knowingly, prohibition), or two strong `against`
   on any factors → unlikely;
3. at least two favourable facts, one of them the motive (出于公心 or 没有谋取私利) or a mistake made
   without knowing → likely_tolerable. Each factor stated in favour counts once, except the motive, which
   counts twice when the situation says both why it was done and that nobody gained. "Exploratory" wording
   is not required: a clean motive with a collective or lawful procedure, or with a remedy, is enough.
   Two favourable facts with no strong fact against are enough without the motive: real tolerated cases
   are mostly told as the problem solved, the procedure followed and the result (「村民反映…两委会研究…
   通过验收」), seldom as 「出于公心」; the questions then ask for the motive (eval/tolerance-real-dev.jsonl,
   54 published decisions, 5 folds: held-out accuracy 0.796 → 0.815, 「信息不足」 where the decisive facts
   are stated 23 % → 21 %, none of the 11 insufficient cases moved; the written sets unchanged at 1.000);
4. a strong `against` and fewer favourable facts than a likely outlook needs → unlikely: the situation gives a
   reason to refuse and not enough to tolerate. Mostly a duty left undone (不作为、失职失责: 「那几个月一次也没去
   巡查」), which the 三个区分开来 do not cover — they tell mistakes made pushing work forward from violations —
   and which 问责 punishes (measured together with the clauses from real accountability reports and the reading
   thresholds: on two real-case sets the method never saw, eval/tolerance-real-heldout.jsonl and
   tolerance-real-blind.jsonl, 15/31 → 22/31; on eval/tolerance-real-dev.jsonl as shipped 48/54 → 44/54 — its
   misses shaped the cue lexicon, so it favours the lexicon alone, which reads 15/31 on the unseen sets).
   It asked for nothing at all in favour at first; one favourable fact (「为了发展壮大集体经济」 beside 「没有经过
   集体决策…擅自…放贷」) then read 「信息不足」. With fewer than two, found among those two sets' misses: 22/31 →
   23/31 and 「信息不足」 where the facts are stated 6 → 4 of 28; eval/tolerance-real-heldout-2.jsonl (collected
   after them) 9/10 → 10/10; real-dev and the written sets unchanged;
5. otherwise a decisive fact is not stated → insufficient_information, and the questions to clarify name
   just those facts (see `missing`).

The reasoning is two or three sentences, each ending with [n]: the distinction that applies (citing the
三个区分开来 passage), then the statutory condition or the exclusion, then a precedent with its outcome.
"""

from __future__ import annotations

from assistant.tolerance.rules import DERELICTION_WORDS, RuleSet, quote
from assistant.tolerance.types import QUESTIONS, FactorFinding, Outlook

DISTINCTIONS = ("motive", "knowingly", "prohibition")  # the three pairs of the 三个区分开来
CORE = ("motive", "knowingly")  # one of them must be stated in favour: 为公 / 无意
NO_GAIN_GROUNDS = frozenset({"没有谋取私利"})
MIN_FACTS = 2
TOLERABLE_SIDE = {  # the half of each distinction that may be tolerated, and how the situation shows it
    "motive": ("为推动发展的无意过失", "出发点为公、没有谋取私利"),
    "knowingly": ("因缺乏经验、先行先试出现的失误", "并非明知故犯"),
    "exploratory": ("因缺乏经验、先行先试出现的失误", "属于改革探索、先行先试"),
    "prohibition": ("尚无明确限制的探索性试验中的失误", "上级尚无明确限制"),
}
VIOLATION_SIDE = {  # the half that may not, by the ground found
    "motive": "为谋取私利的违纪违法行为",
    "knowingly": "明知故犯的违纪违法行为",
    "prohibition": "明令禁止后依然我行我素的违纪违法行为",
}
MISSING = {
    "motive": "出发点是否为公、本人或亲友有没有得到好处",
    "knowingly": "是否明知故犯、有没有弄虚作假或挪用资金",
    "collective": "是否经过集体研究或按程序报批",
}


def favourable(findings: list[FactorFinding]) -> int:
    """The favourable facts stated: one per factor in favour, the motive twice when it gives both a
    public purpose and the absence of gain."""
    count = 0
    for f in findings:
        if f.verdict == "supports":
            both = f.factor == "motive" and len(f.grounds) > 1 and bool(NO_GAIN_GROUNDS & set(f.grounds))
            count += 2 if both else 1
    return count


def judge(findings: list[FactorFinding]) -> Outlook:
    """The outlook from the factor findings (see the module docstring)."""
    by = {f.factor: f for f in findings}
    if any(f.decisive for f in findings):
        return "unlikely"
    strong = [f for f in findings if f.verdict == "against" and f.strength == "strong"]
    if any(f.factor in DISTINCTIONS for f in strong) or len(strong) >= 2:
        return "unlikely"
    stated = favourable(findings)
    if strong and stated < MIN_FACTS:
        return "unlikely"
    if stated >= MIN_FACTS and (any(by[f].verdict == "supports" for f in CORE) or not strong):
        return "likely_tolerable"
    return "insufficient_information"


def questions(outlook: Outlook, findings: list[FactorFinding]) -> list[str]:
    """What to ask: for an insufficient outlook, the decisive facts left unstated; for a likely one, those of
    the distinctions and the decision procedure not stated yet, which could still change it; nothing once a
    fact against decides it."""
    by = {f.factor: f for f in findings}
    if outlook == "insufficient_information":
        return [QUESTIONS[f] for f in missing(findings)]
    if outlook == "likely_tolerable":
        return [QUESTIONS[f] for f in (*DISTINCTIONS, "collective") if by[f].verdict == "not stated"]
    return []


def missing(findings: list[FactorFinding]) -> list[str]:
    """The decisive facts a situation leaves unstated, as factors (what an insufficient outlook asks)."""
    by = {f.factor: f for f in findings}
    out = [f for f in ("motive", "knowingly") if by[f].verdict == "not stated"]
    if by["motive"].verdict == "not stated" or by["collective"].verdict == "not stated":
        out += [f for f in ("collective",) if by[f].verdict == "not stated"]
    return out or [f for f in CORE if by[f].verdict != "supports"][:1]


def _shortest(finding: FactorFinding) -> str:
    return min(finding.evidence, key=len) if finding.evidence else ""


def _marker(n: int | None) -> str:
    return f"[{n}]" if n else ""


def _key(rules: RuleSet) -> int | None:
    """The 三个区分开来 passage (or, lacking it, the first criterion)."""
    return rules.key[0] if rules.key else (rules.criteria[0].n if rules.criteria else None)


def _clause(rules: RuleSet, pattern: str, among: list[int] | None = None) -> tuple[str, int | None]:
    """A short exact quote (the clause matching `pattern`, end mark dropped) from the cited passages,
    those in `among` first."""
    order = list(among or []) + [c.n for c in rules.citations if c.n not in (among or [])]
    for n in order:
        text = quote(rules.citation(n).text, pattern, 60, lead=False)
        if text:
            return text.rstrip("。；！？"), n
    return "", None


def _where(rules: RuleSet, n: int | None) -> str:
    return rules.citation(n).where if n else ""


def explain(outlook: Outlook, findings: list[FactorFinding], rules: RuleSet) -> str:
    """Two or three sentences, each ending with the [n] of the passage it rests on."""
    by = {f.factor: f for f in findings}
    key = _key(rules)
    if outlook == "likely_tolerable":
        sentences = _likely(by, rules, key)
    elif outlook == "unlikely":
        sentences = _unlikely(by, findings, rules, key)
    else:
        sentences = _insufficient(by, rules, key)
    return "".join(s for s in sentences if s)


def _likely(by: dict[str, FactorFinding], rules: RuleSet, key: int | None) -> list[str]:
    shown = [f for f in ("motive",) if by[f].verdict == "supports"]
    shown += [f for f in ("exploratory", "prohibition", "knowingly") if by[f].verdict == "supports"][:1]
    facts = "，".join(f"{TOLERABLE_SIDE[f][1]}（「{_shortest(by[f])}」）" for f in shown)
    sides = "、".join(dict.fromkeys(TOLERABLE_SIDE[f][0] for f in shown))
    first = f"所述情况{facts}，更接近“三个区分开来”中的{sides}，而不是违纪违法行为{_marker(key)}。"
    if not shown:  # likely on the procedure and the result alone: the motive is what it still rests on
        first = (f"所述情况尚未说明出发点是否为公、有没有人得到好处；如果出于公心、没有谋取私利，更接近“三个区分开来”中的"
                 f"{TOLERABLE_SIDE['motive'][0]}，而不是违纪违法行为{_marker(key)}。")
    statutes = [c.n for c in rules.criteria if c.n != key]
    clause, n = _clause(rules, r"决策程序", statutes)
    collective = by["collective"]
    if collective.verdict == "supports":
        second = (f"决策经过集体研究（「{_shortest(collective)}」），也符合{_where(rules, n)}中“{clause}”的条件"
                  f"{_marker(n)}。")
    elif collective.verdict == "against":
        second = (f"但决策属于个人决定（「{_shortest(collective)}」），与{_where(rules, n)}中“{clause}”的条件不符，"
                  f"会影响认定{_marker(n)}。")
    else:
        second = f"{_where(rules, n)}还要求“{clause}”，情况中尚未说明决策是否经过集体研究{_marker(n)}。"
    if not clause:
        second = ""
    third = _case_sentence(rules, "容错免责", "可参照的")
    return [first, second, third]


def _case_sentence(rules: RuleSet, outcome: str, lead: str) -> str:
    """「可参照的《…案》中，“决定对林某进行谈话提醒…”[n]。」 for the first similar case with that outcome."""
    case = next((c for c in rules.similar_cases if c.outcome == outcome), None)
    if case is None:
        return ""
    if outcome == "容错免责" and case.why_n and case.why_n != case.n:  # the case's own explanation
        why = quote(case.why, r"明知故犯|私利|集体研究|动机", 90).rstrip("。；") or case.why
        return f"{lead}《{case.title}》认为，“{why}”{_marker(case.why_n)}。"
    result = quote(case.result, r"决定|处分|予以容错|免责|纠正", 60, lead=False).rstrip("。；") or case.result
    return f"{lead}《{case.title}》中，“{result}”{_marker(case.n)}。"


def _unlikely(by: dict[str, FactorFinding], findings: list[FactorFinding], rules: RuleSet,
              key: int | None) -> list[str]:
    grounds = [f for f in findings if f.decisive] or [f for f in findings if f.verdict == "against"]
    excluded = [e.n for e in rules.exclusions]
    if grounds and grounds[0].factor not in VIOLATION_SIDE and any(f.dereliction for f in grounds):
        ground = next(f for f in grounds if f.dereliction)
        first = (f"所述情况是{ground.ground}（「{_shortest(ground)}」），属于不作为、失职失责；“三个区分开来”宽容的是"
                 f"担当作为、改革探索中的失误，不是不作为{_marker(key)}。")
        clause, n = _clause(rules, DERELICTION_WORDS, excluded)
        second = f"有关规定明确，“{clause}”{_marker(n)}。" if clause else ""
        return [first, second, _case_sentence(rules, "问责", "类似的")]
    if grounds and grounds[0].factor in VIOLATION_SIDE:
        ground = grounds[0]
        first = (f"所述情况中{ground.ground}（「{_shortest(ground)}」），属于“三个区分开来”中的"
                 f"{VIOLATION_SIDE[ground.factor]}，不在可以容错的范围内{_marker(key)}。")
    else:
        shown = "；".join(f"{g.ground}（「{_shortest(g)}」）" for g in grounds[:2]) or "所述情况不符合容错条件"
        first = f"所述情况{shown}，不符合“三个区分开来”中可以容错的情形{_marker(key)}。"
    clause, n = _clause(rules, r"不该容的?坚决不容|严肃查处|保护伞|相应的责任", excluded)
    second = f"有关规定明确，“{clause}”{_marker(n)}。" if clause else ""
    third = _case_sentence(rules, "问责", "类似的")
    return [first, second, third]


def explain_learned(findings: list[FactorFinding], rules: RuleSet) -> str:
    """For a situation the rule left undecided and the learned outlook (outlook_model.py) reads as `unlikely`: what
    it leaves unstated, that it reads like published decisions that were not tolerated, then the rule and a case."""
    by = {f.factor: f for f in findings}
    key = _key(rules)
    unstated = "；也没有说明".join(MISSING[f] for f in missing(findings)) or "关键事实"
    first = (f"所述情况尚未说明{unstated}；就所述情节整体而言，更接近已公开的未予容错、依规依纪追责的决定，"
             f"能否容错仍要按“三个区分开来”逐项认定{_marker(key)}。")
    return "".join(s for s in [first, *_unlikely(by, findings, rules, key)[1:]] if s)


def _insufficient(by: dict[str, FactorFinding], rules: RuleSet, key: int | None) -> list[str]:
    unstated = [MISSING[f] for f in missing(list(by.values()))]
    first = (f"所述情况尚未说明{'；也没有说明'.join(unstated) or '关键事实'}，而“三个区分开来”正是据此区分"
             f"可以容错的失误和不能容错的违纪违法行为{_marker(key)}。")
    clause, n = _clause(rules, r"动机态度|主观动机|行为动机")
    second = f"有关规定要求认定时“{clause}”，请先补充下面列出的情况再作判断{_marker(n)}。" if clause else ""
    return [first, second]
