"""The factor lexicon as data (resources/tolerance_cues.tsv) and the negation rules that read it.

Negation is decided per cue, inside its clause (clauses end at ，。；！？ and line breaks): the words just
before the cue (at most NEGATION_WINDOW characters, and none beyond a scope breaker such as 就/但/却) are
cut with jieba, and each negating morpheme in them counts once. An odd count flips the cue (「没有拿任何
好处」), an even one keeps it (「并非没有鼓励」, 「不能说没有私心」). Words that merely contain 不/无/非
(不断, 无论, 非常, 不规范…) are cut whole and do not count.
"""

from __future__ import annotations

import logging
import re
from collections import ChainMap
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Literal

import jieba

Factor = Literal["motive", "knowingly", "prohibition", "exploratory", "collective", "consequences", "remedy"]
Verdict = Literal["supports", "against", "not stated"]
Strength = Literal["decisive", "strong", "weak"]

FACTORS: dict[str, str] = {  # in the order the rules weigh them, with the name a reader sees
    "motive": "动机与私利（为公还是谋私）",
    "knowingly": "是否明知故犯（含弄虚作假）",
    "prohibition": "上级是否明令禁止（或提醒后再犯）",
    "exploratory": "是否属于改革探索、先行先试",
    "collective": "决策程序（集体研究还是个人决定）",
    "consequences": "后果与损失",
    "remedy": "补救措施与挽回损失",
}
STRENGTH_RANK = {"weak": 0, "strong": 1, "decisive": 2}

NEGATION_WINDOW = 8  # characters before a cue in which a negator still reaches it
# the bypass verbs (跳过/绕过/撇开…集体决策) deny what follows as 没有 does
BYPASS = ("跳过", "绕过", "绕开", "撇开", "越过", "避开", "规避")
_NEGATING = re.compile("|".join(("没有", "没", "未", "不", "无", "非", "毫无", "拒绝", "拒收", "婉拒", "谢绝", "杜绝", "否认",
                                 *BYPASS)))
# Words that contain a negating character without negating what follows.
NON_NEGATING = frozenset(
    "不断 不少 不过 不仅 不但 不久 不错 不管 不论 无论 未来 非常 不同 不如 不良 不足 不当 不妥 不规范 不合规 "
    "不合理 不正当 不利 不满 不安 不一定 非法 无意 无偿 无数 无关 无疑 未必 别人 特别 分别 区别 个别 不得已 "
    "不理想 不太理想 不到位 不及时 不认识 素不相识 不好 不便 不幸 无奈 不料 不知不觉 不严 不细 不周 不实".split()
)
# Words that end a negator's scope: what follows them is a new predicate (「没有请示就收了钱」).
SCOPE_BREAKERS = frozenset("但 但是 可是 却 而是 就 便 于是 然后 结果 所以 因此 反而 只是 后来 随后 只好 还是".split())
_CLAUSE = re.compile(r"[^，,。；;！!？?\n]+")


@dataclass(frozen=True)
class Cue:
    """One pattern of the lexicon; `verdict` is its reading when not negated."""

    factor: str
    verdict: Literal["supports", "against"]
    strength: Strength
    label: str
    pattern: re.Pattern


@dataclass(frozen=True)
class Sequence:
    """An `against` reading that needs two things in order, possibly in different clauses: a later cue
    (「又出现了……」) counts only after an earlier one (「巡察指出过……」)."""

    factor: str
    strength: Strength
    label: str
    earlier: re.Pattern
    later: re.Pattern


@dataclass(frozen=True)
class Lexicon:
    cues: list[Cue]
    sequences: list[Sequence]


_CLAUSE_GAP = "[^，。；！？]"
_GAP = "[^，。；！？而但却]"  # a gap inside a cue stays in its clause and never crosses a contrast (…而是…)


def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern.replace(_CLAUSE_GAP, _GAP))


def _alternation(patterns: list[str]) -> re.Pattern:
    return _compile("|".join(f"(?:{p})" for p in patterns))


def load_lexicon(text: str | None = None) -> Lexicon:
    """The rows of resources/tolerance_cues.tsv (or of `text`): one Cue per pattern, and the sequences."""
    if text is None:
        text = (resources.files("assistant.resources") / "tolerance_cues.tsv").read_text(encoding="utf-8")
    cues, sequences = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) == 5 and cols[0] == "sequence" and cols[1] in FACTORS and cols[2] in STRENGTH_RANK \
                and " => " in cols[4]:
            earlier, later = cols[4].split(" => ")
            sequences.append(Sequence(cols[1], cols[2], cols[3], _alternation(earlier.split()),
                                      _alternation(later.split())))
            continue
        if len(cols) != 5 or cols[0] not in FACTORS or cols[1] not in ("supports", "against") \
                or cols[2] not in STRENGTH_RANK:
            raise ValueError(f"tolerance_cues.tsv line {number}: expected factor, verdict, strength, label, cues")
        cues.extend(Cue(cols[0], cols[1], cols[2], cols[3], _compile(p)) for p in cols[4].split())
    return Lexicon(cues, sequences)


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause, surrounding blanks excluded, so text[start:end] is the clause."""
    spans = []
    for m in _CLAUSE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


class Negation:
    """Counts the negators that reach a cue; a private jieba instance keeps negators and lexicalised
    words whole without changing the retrieval tokenizer's dictionary."""

    def __init__(self, base: tuple[dict, int] | None = None) -> None:
        """`base`: another jieba instance's (FREQ, total) to read through instead of loading a copy (63 MB);
        the words added here go to an overlay and never reach that instance."""
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._base = base

    @cached_property
    def _ready(self) -> bool:
        """Load the dictionary on first use (about a second), negators and lexicalised words kept whole."""
        if self._base is not None:
            freq, total = self._base
            self._jieba.FREQ, self._jieba.total = ChainMap({}, freq), total
            self._jieba.initialized = True
        for word in ("并非", "并未", "并没有", "从未", "从没", "从没有", "从来没有", "从不", "绝不", "决不", "绝无",
                     "毫无", "尚无", "尚未", "谈不上", "说不上", "不存在", "没有任何", *BYPASS, *NON_NEGATING,
                     *SCOPE_BREAKERS):
            self._jieba.add_word(word, freq=50_000)
        return True

    def words(self, text: str) -> list[str]:
        """jieba words of a short piece of text (accurate mode, no HMM guessing)."""
        assert self._ready
        return self._jieba.lcut(text, HMM=False)

    def count(self, before: str, window: int = NEGATION_WINDOW) -> int:
        """Negating morphemes in the words just before a cue (`before` is the clause up to the cue)."""
        words = self.words(before[-window:]) if before else []
        for i in range(len(words) - 1, -1, -1):
            if words[i] in SCOPE_BREAKERS:
                words = words[i + 1:]
                break
        return sum(negating(w) for w in words)


def negating(word: str) -> int:
    """How many negating morphemes a jieba word holds (0 for 不断, 无论, 非常…)."""
    return 0 if word in NON_NEGATING else len(_NEGATING.findall(word))
