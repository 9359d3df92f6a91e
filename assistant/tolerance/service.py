"""ToleranceService: a cadre's description of a situation → a cited checklist (factors, outlook,
criteria, exclusions, similar cases, procedure, questions), prepared for — never replacing — the
decision of the Party organisation."""

from __future__ import annotations

import logging
import re

from assistant.grounding.question_text import read_question
from assistant.retrieval.hybrid import HybridRetriever
from assistant.tolerance.factors import FactorAnalyzer
from assistant.tolerance.lexicon import Negation
from assistant.tolerance.llm import fill_with_llm
from assistant.tolerance.outlook import explain, explain_learned, judge, questions
from assistant.tolerance.outlook_model import UNDECIDED, OutlookModel
from assistant.tolerance.rules import RuleFinder
from assistant.tolerance.types import ToleranceAssessment

log = logging.getLogger("assistant.tolerance")
MIN_CHARS, MAX_CHARS, MIN_HAN = 20, 3000, 10
_HAN = re.compile(r"[\u4e00-\u9fff]")


def check_situation(text: str) -> str:
    """The situation stripped, or ValueError with a Chinese message (too short, too long, not Chinese);
    anything but a string is passed on unchanged, for the type check to name."""
    if not isinstance(text, str):
        return text
    text = text.strip()
    if len(text) < MIN_CHARS:
        raise ValueError(f"情况描述过短：至少 {MIN_CHARS} 字，当前 {len(text)} 字。请说明做了什么、为什么这样做、"
                         "是否经过集体研究、有没有得到好处、造成了什么后果")
    if len(text) > MAX_CHARS:
        raise ValueError(f"情况描述过长：最多 {MAX_CHARS} 字，当前 {len(text)} 字")
    if len(_HAN.findall(text)) < MIN_HAN:
        raise ValueError("请用中文描述您的情况")
    return read_question(text)


class ToleranceService:
    """One per process (built by Components): the lexicon and jieba load once; thread-safe, stateless
    between calls. `llm_model`: a LangChain chat model that fills the same schema, or None (rules only).
    `outlook_model`: the outlook learned from published decisions (outlook_model.py), or None (the rule alone)."""

    def __init__(self, retriever: HybridRetriever, llm_model=None, analyzer: FactorAnalyzer | None = None,
                 outlook_model: OutlookModel | None = None):
        self.retriever = retriever
        self.outlook_model = outlook_model
        # the negation reader overlays its words on the retrieval tokenizer's dictionary (not a second 63 MB copy)
        tokenizer = getattr(retriever, "tokenizer", None)
        self.analyzer = analyzer or FactorAnalyzer(
            negation=Negation(base=tokenizer.dictionary()) if tokenizer is not None else None)
        self.finder = RuleFinder(retriever, self.analyzer)
        self.llm_model = llm_model

    def assess(self, situation: str) -> ToleranceAssessment:
        """The checklist for one situation (rules; the LLM fills the same schema when configured)."""
        situation = check_situation(situation)
        findings = self.analyzer.findings(situation)
        outlook = rule = judge(findings)
        if self.outlook_model is not None and rule == UNDECIDED:  # embedding it: most of such a screening (~75 ms)
            outlook = self.outlook_model.decide(findings, rule, self.retriever.embeddings.embed_query(situation))
        rules = self.finder.gather(situation, findings, outlook)
        # read like published decisions that were not tolerated; the unstated facts are still asked for
        reasoning = explain(outlook, findings, rules) if outlook == rule else explain_learned(findings, rules)
        result = ToleranceAssessment(
            situation=situation, factors=findings, outlook=outlook, reasoning=reasoning,
            criteria=rules.criteria, exclusions=rules.exclusions, similar_cases=rules.similar_cases,
            procedure=rules.procedure, questions_to_clarify=questions(rule, findings),
            citations=rules.citations, key_citations=list(rules.key))
        return result if self.llm_model is None else fill_with_llm(self.llm_model, result)
