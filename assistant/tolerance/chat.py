"""Tolerance questions arriving through chat: recognised by a small detector, and the screening told in
prose (the chat dispatcher, assistant/chat.py, attaches the structured result)."""

from __future__ import annotations

import re

from assistant.grounding.question_text import read_question
from assistant.tolerance.factors import FactorAnalyzer
from assistant.tolerance.service import MAX_CHARS, MIN_CHARS
from assistant.tolerance.types import VERDICT_LABELS, ToleranceAssessment

# The question asks whether the situation qualifies (「能不能容错」「会不会被问责」「有没有容错的可能」), not what
# follows from being tolerated (「如果免责了，考核会不会受影响？」) nor which rules exist (「有没有处分规定」).
ASKS_TOLERANCE = re.compile(
    r"(能不能|能否|可否|可不可以|是否|会不会|能|可以|算不算|有没有|要不要)[^。？！?!，,]{0,10}"
    r"(容错|免责|免予|免于|不予|问责|追责|处分|追究)(?!的?(规定|条款|办法|标准|依据|条件|程序|种类))"
    r"|(容错|免责)[^。？！?!，,]{0,6}(吗|么|的可能|可能性)")
FIRST_PERSON = re.compile(r"我|本人|咱")
NARRATIVE = re.compile(r"了[，,。；！？]|被|导致|造成|结果|后来|当时")  # the asker tells what happened


def is_tolerance_question(question: str, analyzer: FactorAnalyzer) -> bool:
    """A question about tolerance that describes the asker's own situation (not 「容错的条件是什么」)."""
    text = read_question(question.strip())
    if not MIN_CHARS <= len(text) <= MAX_CHARS or not ASKS_TOLERANCE.search(text) or not FIRST_PERSON.search(text):
        return False
    return bool(NARRATIVE.search(text)) or any(f.verdict != "not stated" for f in analyzer.findings(text))


def prose(result: ToleranceAssessment) -> str:
    """The screening as a readable chat answer; [n] refer to result.citations."""
    lines = [f"初步对照：{result.outlook_label}。{result.reasoning}", "", "逐项对照："]
    for f in result.factors:
        words = "；".join(f"「{e}」" for e in f.evidence[:2])
        lines.append(f"- {f.name}：{VERDICT_LABELS[f.verdict]}" + (f"（{words}）" if words else ""))
    if result.criteria:
        lines += ["", "相关规定："] + [f"- {result.citations[c.n - 1].where}：“{c.quote.strip()}”[{c.n}]"
                                      for c in result.criteria[:3]]
    if result.similar_cases:
        lines += ["", "可参考的案例："] + [
            f"- 《{c.title}》：{c.outcome}[{c.n}]" + (f"。“{c.why.strip()}”[{c.why_n}]" if c.why_n and c.why_n != c.n else "")
            for c in result.similar_cases]
    if result.questions_to_clarify:
        lines += ["", "还需要说明："] + [f"- {q}" for q in result.questions_to_clarify]
    applying = [s for s in result.procedure if s.n]
    if applying:
        lines += ["", "如何申请：" + "；".join(f"{s.step}——{s.text}[{s.n}]" for s in applying) + "。"]
    lines += ["", result.reminder]
    return "\n".join(lines)
