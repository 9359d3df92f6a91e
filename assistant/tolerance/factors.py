"""A situation → what it says on each factor the rules name, with the words that show it.

Every cue of the lexicon is matched clause by clause; overlapping matches keep the longest (so
「好处费我一分没收」 is read as a whole, not as 「好处费」). A match is flipped when an odd number of
negators reaches it (see lexicon.Negation). Per factor, a decisive `against` outweighs everything
else; otherwise the finding stated last wins, because a situation usually ends with how things stand.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.tolerance.lexicon import FACTORS, STRENGTH_RANK, Lexicon, Negation, Verdict, clauses, load_lexicon
from assistant.tolerance.types import FactorFinding

MAX_EVIDENCE = 60  # characters; a longer clause is cut around the cue


@dataclass(frozen=True)
class Match:
    """One cue found in the situation, already read with its negation."""

    factor: str
    verdict: Verdict
    strength: str  # weight of an `against` reading
    label: str  # what the match shows, e.g. 谋取私利, or 「并非」+ the label when negated
    start: int
    end: int
    negated: bool
    evidence: str  # exact substring of the situation: the clause (or the part of it around the cue)


def _evidence(text: str, clause: tuple[int, int], start: int, end: int) -> str:
    a, b = clause
    if b - a <= MAX_EVIDENCE:
        return text[a:b]
    left = max(a, min(start - 20, b - MAX_EVIDENCE))
    return text[left:min(b, left + MAX_EVIDENCE)].strip()


_NEGATED_LABEL = {  # the reading of a negated cue, named the way the rules name it
    "谋取私利": "没有谋取私利", "出于公心、没有谋取私利": "并非出于公心",
    "明知故犯": "并非明知故犯", "弄虚作假": "没有弄虚作假", "违规使用资金": "没有违规使用资金",
    "缺乏经验、并非故意": "知道有关规定", "明令禁止后依然我行我素": "没有明令禁止",
    "有关方面提出过反对意见": "有关方面没有提出反对意见", "尚无明确限制": "已有明确规定",
    "改革探索、先行先试": "并非改革探索", "常规工作": "并非常规工作", "集体研究决策": "未经集体研究",
    "个人独断": "并非个人决定", "造成严重后果": "没有造成严重后果", "造成损失": "没有造成损失",
    "损失较小": "损失不小", "及时纠正、挽回损失": "没有采取补救措施", "未采取补救": "采取了补救措施",
}


class FactorAnalyzer:
    """Reads situations with the lexicon; build once (jieba loads its dictionary on first use)."""

    def __init__(self, lexicon: Lexicon | None = None, negation: Negation | None = None):
        self.lexicon = lexicon or load_lexicon()
        self.negation = negation or Negation()

    def matches(self, situation: str) -> list[Match]:
        """Every non-overlapping cue in the situation, in text order, read with its negation."""
        found: list[Match] = []
        for clause in clauses(situation):
            a, b = clause
            text = situation[a:b]
            candidates = [(m.start() + a, m.end() + a, cue) for cue in self.lexicon.cues
                          for m in cue.pattern.finditer(text) if m.end() > m.start()]
            candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
            taken: list[tuple[int, int]] = []
            for start, end, cue in candidates:
                if any(start < e and s < end for s, e in taken):
                    continue
                taken.append((start, end))
                negated = self.negation.count(situation[a:start]) % 2 == 1
                verdict = cue.verdict if not negated else ("against" if cue.verdict == "supports" else "supports")
                label = _NEGATED_LABEL.get(cue.label, "并非" + cue.label) if negated else cue.label
                found.append(Match(cue.factor, verdict, cue.strength, label, start, end, negated,
                                   _evidence(situation, clause, start, end)))
        found.extend(self._sequences(situation))
        found.sort(key=lambda m: m.start)
        return found

    def _sequences(self, situation: str) -> list[Match]:
        """The `later` cue of a sequence, when it follows its `earlier` cue and neither is negated."""
        spans = clauses(situation)
        out = []
        for seq in self.lexicon.sequences:
            first = None
            for a, b in spans:
                text = situation[a:b]
                if first is not None:
                    m = seq.later.search(text)
                    if m and self.negation.count(text[:m.start()]) % 2 == 0:
                        out.append(Match(seq.factor, "against", seq.strength, seq.label, a + m.start(), a + m.end(),
                                         False, _evidence(situation, (a, b), a + m.start(), a + m.end())))
                        break
                m = seq.earlier.search(text)
                if first is None and m and self.negation.count(text[:m.start()]) % 2 == 0:
                    first = a + m.start()
        return out

    def findings(self, situation: str) -> list[FactorFinding]:
        """One finding per factor, in FACTORS order."""
        by_factor: dict[str, list[Match]] = {}
        for m in self.matches(situation):
            by_factor.setdefault(m.factor, []).append(m)
        return [decide(f, by_factor.get(f, [])) for f in FACTORS]


def decide(factor: str, matches: list[Match]) -> FactorFinding:
    """A factor's verdict from its matches: decisive `against` first, else the last one stated."""
    name = FACTORS[factor]
    if not matches:
        return FactorFinding(factor=factor, name=name, verdict="not stated")
    decisive = [m for m in matches if m.verdict == "against" and m.strength == "decisive"]
    chosen = decisive or [m for m in matches if m.verdict == matches[-1].verdict]
    against = chosen[0].verdict == "against"
    strength = max((m.strength for m in chosen), key=STRENGTH_RANK.__getitem__) if against else ""
    evidence = list(dict.fromkeys(m.evidence for m in chosen))
    return FactorFinding(factor=factor, name=name, verdict=chosen[0].verdict, evidence=evidence,
                         ground=chosen[-1].label, strength=strength)
