"""Precedents: the cases of the knowledge base (chunks of kind `case`, e.g. the CCDI guiding-case
compilation) read with the same factor analyzer as a situation, and matched to a situation by the
factors they share with it — the same reading on the same factor, a decisive one weighing most — then
by how many words of their facts they share. Each precedent says why it is similar: the shared factors,
with the words of the case and of the situation that show each.

A case is read from its 【基本案情及处理结果】 part (the facts and the decision, not the commentary, which
names both sides of every distinction); its outcome from the sentence that decides it. The profiles are
built once per index (the retriever's chunk list) — no embedding is computed for a screening.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from assistant.tolerance.factors import FactorAnalyzer, combine_findings
from assistant.tolerance.types import FactorFinding
from assistant.types import Chunk

FACTS_PART = "处理结果"  # 【基本案情及处理结果】
CASE_WINDOW = 12  # a report in the third person puts more words between a negator and what it denies
WEIGHT = {"decisive": 3.0, "strong": 2.0}  # of a shared `against` reading; any other shared reading weighs 1
MIN_WEIGHT = 2.0  # a case sharing one minor factor (both say the mistake was corrected) is not a precedent
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class SharedReading:
    """A factor read the same way in the situation and in a case, with the words of each."""

    factor: str
    verdict: str
    case_chunk: Chunk  # the chunk of the case that holds `case_words`
    case_words: str
    situation_words: str
    weight: float


@dataclass(frozen=True)
class CaseProfile:
    """A case of the knowledge base read like a situation."""

    title: str
    facts: list[Chunk]  # its 【基本案情及处理结果】 chunks, in order
    findings: list[FactorFinding]
    bigrams: Counter

    def shared(self, findings: list[FactorFinding]) -> list[SharedReading]:
        """The factors read the same way in `findings` (a situation's) and in the case."""
        mine = {f.factor: f for f in self.findings}
        out = []
        for f in findings:
            case = mine[f.factor]
            if f.verdict == "not stated" or case.verdict != f.verdict:
                continue
            words = case.evidence[0]
            chunk = next((c for c in self.facts if words in c.text), None)
            if chunk is None:  # evidence across two pieces of the part: not quotable from one passage
                continue
            weight = WEIGHT.get(min(f.strength, case.strength, key=lambda s: WEIGHT.get(s, 1.0)), 1.0) \
                if f.verdict == "against" else 1.0
            out.append(SharedReading(f.factor, f.verdict, chunk, words, f.evidence[0], weight))
        return out



def bigrams(text: str) -> Counter:
    """The Chinese character bigrams of a text, counted."""
    han = "".join(_HAN.findall(text))
    return Counter(han[i:i + 2] for i in range(len(han) - 1))


def cosine(a: Counter, b: Counter) -> float:
    dot = sum(n * b[g] for g, n in a.items() if g in b)
    norm = math.sqrt(sum(n * n for n in a.values()) * sum(n * n for n in b.values()))
    return dot / norm if norm else 0.0


def case_profiles(chunks: list[Chunk], analyzer: FactorAnalyzer) -> list[CaseProfile]:
    """Every case among the chunks, read from its facts part (a case without one is left out)."""
    reader = analyzer.variant(window=CASE_WINDOW)
    by_title: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        if chunk.kind == "case" and FACTS_PART in chunk.part_label:
            by_title.setdefault(chunk.title, []).append(chunk)
    profiles = []
    for title, parts in by_title.items():
        parts.sort(key=lambda c: c.start)
        cues, read = [], []
        for chunk in parts:  # read piece by piece: every piece of evidence is quotable from one passage
            cues += reader.matches(chunk.text)
            read += reader.readings(chunk.text) if reader.combine != "cues" else []
        findings = combine_findings(cues, read, reader.combine)
        profiles.append(CaseProfile(title, parts, findings, bigrams("".join(c.text for c in parts))))
    return profiles


def rank(profiles: list[CaseProfile], situation: str, findings: list[FactorFinding]) \
        -> list[tuple[CaseProfile, list[SharedReading]]]:
    """The cases by the decisive facts they share with the situation, then by the weight of all the
    factors they share, then by shared words; a case sharing less than MIN_WEIGHT comes with no reasons."""
    words = bigrams(situation)
    scored = []
    for profile in profiles:
        shared = profile.shared(findings)
        weight = sum(s.weight for s in shared)
        decisive = sum(s.weight for s in shared if s.weight >= WEIGHT["decisive"])
        scored.append(((-decisive, -weight, -cosine(profile.bigrams, words), profile.title), profile,
                       shared if weight >= MIN_WEIGHT else []))
    scored.sort(key=lambda t: t[0])
    return [(profile, shared) for _, profile, shared in scored]

