"""A situation → what it says on each factor the rules name, with the words that show it.

Two readers: the cue lexicon (resources/tolerance_cues.tsv) and the clause reader (reader.py, a model of
labelled example clauses). Every cue is matched clause by clause; overlapping matches keep the longest (so
「好处费我一分没收」 is read as a whole, not as 「好处费」). A match is flipped when an odd number of
negators reaches it (see lexicon.Negation). The two are combined per factor (`combine_findings`). Per
factor, a decisive `against` outweighs everything else and a weak one never outweighs a fact in favour;
otherwise the finding stated last wins, because a situation usually ends with how things stand.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

from assistant.tolerance.lexicon import (
    FACTORS,
    NEGATION_WINDOW,
    STRENGTH_RANK,
    Lexicon,
    Negation,
    Verdict,
    clauses,
    load_lexicon,
)
from assistant.tolerance.reader import ClauseReader, Reading
from assistant.tolerance.types import DUTY_LEFT_UNDONE, FactorFinding

MAX_EVIDENCE = 60  # characters; a longer clause is cut around the cue
Combine = Literal["cues", "reader", "cues_first", "merged"]
# chosen on the folds of the real-case set (python -m assistant.evaluation… / `assistant eval-tolerance --folds`)
COMBINE: Combine = "cues_first"
THRESHOLD = 0.3
# a reading that alone decides the outlook (a decisive `against`: gain, fabrication, a ban ignored) must be more
# likely than one that only adds a fact: at 0.3 a few words shared with the 八项规定 examples
# (「单位…采购了一批设备」) read as a ban ignored
DECISIVE_THRESHOLD = 0.4


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
    probability: float = 1.0  # a cue is certain; a reading of the clause reader is as likely as it says


def _evidence(text: str, clause: tuple[int, int], start: int, end: int) -> str:
    a, b = clause
    if b - a <= MAX_EVIDENCE:
        return text[a:b]
    left = max(a, min(start - 20, b - MAX_EVIDENCE))
    return text[left:min(b, left + MAX_EVIDENCE)].strip()


_NEGATED_LABEL = {  # the reading of a negated cue, named the way the rules name it
    "谋取私利": "没有谋取私利", "本人、亲友得利": "没有谋取私利", "出于公心": "并非出于公心",
    "没有谋取私利": "谋取私利", "弄虚作假（以他项名义、名实不符）": "没有弄虚作假",
    "挪用、截留专项或他人的资金": "没有违规使用资金", "工作疏漏、客观原因，并非故意": "并非工作疏漏",
    "受过处分、提醒后依然再犯": "没有受过处分或提醒", "数额不大、按期完成": "数额不小", "主动退缴、交代": "没有主动退缴",
    "事前报备": "没有事前报备",
    "明知故犯": "并非明知故犯", "弄虚作假": "没有弄虚作假", "违规使用资金": "没有违规使用资金",
    "缺乏经验、并非故意": "知道有关规定", "明令禁止后依然我行我素": "没有明令禁止",
    "有关方面提出过反对意见": "有关方面没有提出反对意见", "尚无明确限制": "已有明确规定",
    "改革探索、先行先试": "并非改革探索", "常规工作": "并非常规工作", "集体研究决策": "未经集体研究",
    "个人独断": "并非个人决定", "造成严重后果": "没有造成严重后果", "造成损失": "没有造成损失",
    "损失较小": "损失不小", "及时纠正、挽回损失": "没有采取补救措施", "未采取补救": "采取了补救措施",
}


NO_GAIN = "没有谋取私利"  # one of the two motive facts the outlook counts apart (the other: 出于公心)
READING_LABELS = {  # the ground a reading of the model shows, named the way the rules name it
    ("motive", "supports"): "出于公心", ("motive", "against"): "谋取私利（本人、亲友或他人得利）",
    ("knowingly", "supports"): "缺乏经验、并非故意", ("knowingly", "against"): "明知故犯（含弄虚作假、挪用资金）",
    ("prohibition", "supports"): "尚无明确限制", ("prohibition", "against"): "明令禁止或提醒后依然我行我素",
    ("exploratory", "supports"): "改革探索、先行先试", ("exploratory", "against"): "常规工作",
    ("collective", "supports"): "集体研究决策、按程序报批", ("collective", "against"): "个人决定、未经集体研究",
    ("consequences", "supports"): "没有造成严重后果", ("consequences", "against"): "造成损失或不良后果",
    ("remedy", "supports"): "及时纠正、挽回损失", ("remedy", "against"): "未采取补救或拒不整改",
}


class FactorAnalyzer:
    """Reads situations with the cue lexicon and the clause reader, combined per factor by `combine`
    (see `combine_findings`); build once (jieba loads its dictionary on first use, the reader fits its
    model when built). `combine="cues"` reads with the lexicon alone and builds no reader."""

    def __init__(self, lexicon: Lexicon | None = None, negation: Negation | None = None,
                 reader: ClauseReader | None = None, combine: Combine = COMBINE, threshold: float = THRESHOLD,
                 window: int = NEGATION_WINDOW, decisive_threshold: float = DECISIVE_THRESHOLD):
        """`window`: characters before a cue in which a negator reaches it (a report in the third person puts
        more words between them than a cadre does: 「未发现林某有借机谋取私利」)."""
        self.lexicon = lexicon or load_lexicon()
        self.window = window
        self.negation = negation or Negation()
        self.combine = combine
        self.threshold = threshold
        self.decisive_threshold = decisive_threshold
        self.reader = reader or (ClauseReader(negation=self.negation) if combine != "cues" else None)

    def variant(self, **changes) -> FactorAnalyzer:
        """The same lexicon, negation and reader with other settings (combine, threshold, window)."""
        other = copy.copy(self)
        for name, value in changes.items():
            if not hasattr(self, name):
                raise AttributeError(name)
            setattr(other, name, value)
        return other

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
                negated = self.negation.count(situation[a:start], self.window) % 2 == 1
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
                    if m and self.negation.count(text[:m.start()], self.window) % 2 == 0:
                        out.append(Match(seq.factor, "against", seq.strength, seq.label, a + m.start(), a + m.end(),
                                         False, _evidence(situation, (a, b), a + m.start(), a + m.end())))
                        break
                m = seq.earlier.search(text)
                if first is None and m and self.negation.count(text[:m.start()], self.window) % 2 == 0:
                    first = a + m.start()
        return out

    def readings(self, situation: str, threshold: float | None = None,
                 decisive_threshold: float | None = None) -> list[Match]:
        """The clause reader's readings at least `threshold` likely (a decisive one at least
        `decisive_threshold`), as matches (the span is the evidence)."""
        if self.reader is None:
            return []
        threshold = self.threshold if threshold is None else threshold
        decisive = self.decisive_threshold if decisive_threshold is None else decisive_threshold
        return [m for m in (reading_match(situation, r) for r in self.reader.read(situation, threshold))
                if counts(m, threshold, decisive)]

    def findings(self, situation: str) -> list[FactorFinding]:
        """One finding per factor, in FACTORS order."""
        read = self.readings(situation) if self.combine != "cues" else []
        return combine_findings(self.matches(situation), read, self.combine)


def counts(m: Match, threshold: float, decisive_threshold: float) -> bool:
    """Is a reading likely enough to count: `threshold`, or `decisive_threshold` when it would decide alone."""
    needed = max(threshold, decisive_threshold) if m.strength == "decisive" else threshold
    return m.probability >= needed


DERELICTION = "应尽的职责没有履行"  # the ground of a strong exploratory `against`
# Factors whose `against` the clause reader reads as weak at most, whatever class it picks. How grave a loss was is
# told in words of magnitude, which the lexicon reads (重大/严重/恶劣的损失, 人员伤亡, 安全事故 → strong); a remedy
# refused counts as weak in the lexicon too (obstruction and cover-up are read as knowingly: decisive). The reader's
# strong readings of these two were mostly the proceedings and the background (「现在被查出来了」「被人拍下来举报了」
# 「也一直配合调查」「体校1985年成立」), each enough with one favourable fact to read a case unlikely. Read as weak:
# 95 real decisions, grouped folds, 0.758 → 0.853 (「信息不足」 where stated 11.1 % → 6.2 %, likely_tolerable precision
# 1.0); all 139 0.705 → 0.763 (docs/benchmarks.md, stop 30).
READ_AS_WEAK = frozenset({"consequences", "remedy"})


def reading_match(situation: str, r: Reading) -> Match:
    """A reading as a match. A motive read in words that deny something (「一分没拿」「没有往来」) is the
    absence of gain, not a purpose; a strong `against` on the exploratory factor is a duty left undone, not
    merely routine work; an `against` on consequences or remedy is weak (READ_AS_WEAK)."""
    label = NO_GAIN if (r.factor, r.verdict, r.negated) == ("motive", "supports", True) \
        else DERELICTION if (r.factor, r.verdict, r.strength) == DUTY_LEFT_UNDONE \
        else READING_LABELS[(r.factor, r.verdict)]
    strength = "weak" if r.verdict == "against" and r.factor in READ_AS_WEAK else r.strength
    return Match(r.factor, r.verdict, strength, label, r.start, r.end, False, situation[r.start:r.end],
                 r.probability)


def combine_findings(cues: list[Match], read: list[Match], combine: Combine) -> list[FactorFinding]:
    """Per factor: `cues` — the lexicon alone; `reader` — the model alone; `cues_first` — the lexicon where
    it found the factor, the model where it did not; `merged` — both together. Which one serves best is
    measured on the real-case folds (assistant.evaluation.tolerance_folds)."""
    by_cue: dict[str, list[Match]] = {}
    for m in cues:
        by_cue.setdefault(m.factor, []).append(m)
    by_read: dict[str, list[Match]] = {}
    for m in read:
        by_read.setdefault(m.factor, []).append(m)
    out = []
    for f in FACTORS:
        match combine:
            case "cues":
                chosen = by_cue.get(f, [])
            case "reader":
                chosen = by_read.get(f, [])
            case "cues_first":
                chosen = by_cue.get(f) or by_read.get(f, [])
            case _:
                chosen = sorted(by_cue.get(f, []) + by_read.get(f, []), key=lambda m: m.start)
        out.append(decide(f, chosen))
    return out


def decide(factor: str, matches: list[Match]) -> FactorFinding:
    """A factor's verdict from its matches: decisive `against` first; a weak `against` (the lapse under
    investigation: 「没有及时备案」) does not undo a fact stated in favour (「经两委会集体研究」); else the
    last one stated."""
    name = FACTORS[factor]
    if not matches:
        return FactorFinding(factor=factor, name=name, verdict="not stated")
    decisive = [m for m in matches if m.verdict == "against" and m.strength == "decisive"]
    if not decisive and any(m.verdict == "supports" for m in matches):
        matches = [m for m in matches if m.verdict == "supports" or m.strength != "weak"]
    chosen = decisive or [m for m in matches if m.verdict == matches[-1].verdict]
    against = chosen[0].verdict == "against"
    strength = max((m.strength for m in chosen), key=STRENGTH_RANK.__getitem__) if against else ""
    evidence = list(dict.fromkeys(m.evidence for m in chosen))
    return FactorFinding(factor=factor, name=name, verdict=chosen[0].verdict, evidence=evidence,
                         ground=chosen[-1].label, strength=strength, grounds=list(dict.fromkeys(m.label for m in chosen)))
