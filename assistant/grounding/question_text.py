"""How a typed question (or a situation told for screening) is read before anything else searches it.

- **Script.** A question typed in traditional characters (「誰來監督監察委員會?」, a Hong Kong or Taiwan input method,
  a text pasted from such a page) is read in the simplified characters the knowledge base is written in: neither the
  jieba dictionary nor the corpus's words match traditional forms, and the small embedder places such a question far
  from the article that answers it. OpenCC's t2s leaves simplified text as it is: over the 2,145 questions of the
  evaluation sets and the question bank it changed only the 34 typed in traditional characters (docs/benchmarks.md,
  stop 30).
- **Courtesy.** A clause that is nothing but a greeting, a request to answer or thanks (「您好，」「请问一下，」
  「麻烦解答一下，非常感谢。」) is left out: it says nothing of the rule asked about, and the embedder reads it as
  part of the question (real-dev wrapped in 「您好，请问一下，…？谢谢！」: R@1 67 → 66 of 100, public-qa 78 → 72 of
  129; read without those clauses, 67 and 75). The words are the language's formulas of politeness, not any
  question's; a clause holding anything else is kept whole, and so is a question that would keep fewer than four
  Chinese characters.
"""

from __future__ import annotations

import re
from functools import cache

import opencc

_COURTESY = "|".join([
    r"(?:各位|尊敬的)?(?:领导|老师|专家|律师|工作人员|同志|管理员)?(?:您|你|大家)?好(?:啊|呀)?",
    r"我?(?:想|想要)?(?:请问|请教|咨询|问)(?:一下|下)?(?:一个|个)?(?:问题)?",
    r"(?:谢谢|感谢|多谢)(?:您|你|领导|老师)?(?:了|啦)?", r"(?:非常|万分|先)感谢", r"先谢谢了?", r"辛苦了",
    r"麻烦(?:您|你|领导|老师)?给?(?:解答|回复|答复|回答|解释)?(?:一下|下)?", r"劳驾", r"打扰(?:了|一下)?",
    r"急", r"在线等", r"求(?:解答|回复|答复|解惑|助)", r"望(?:解答|回复|答复)", r"盼(?:复|回复)",
])
_STOPS = r"，。！？!?,;；：:\s"
_CLAUSE = re.compile(rf"[^{_STOPS}]+[{_STOPS}]*")
_COURTESY_ONLY = re.compile(rf"(?:{_COURTESY}|[的啊呀吧呢哈～~…])+")
# the same formulas glued to the question, with no mark between: 「您好请问…」, 「…怎么办谢谢」. Thanks are taken off the
# end one at a time, each looked for in the last TAIL characters (one end-anchored search over the whole text is
# quadratic: 0.24 s for 1,500 「谢谢」 before a last character)
_GLUED_GREETING = re.compile(r"(?:(?:领导|老师|专家|律师)?(?:您|你)好(?:啊|呀)?)+")
_GLUED_THANKS = re.compile(r"(?:谢谢|感谢|多谢)(?:您|你|领导|老师)?(?:了|啦)?[！!。.～~]*$")
TAIL = 12
_HAN = re.compile(r"[\u4e00-\u9fff]")
MIN_HAN = 4  # what must be left of a question for its courtesy clauses to be left out


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")  # about 6 ms, once per process


def simplified(text: str) -> str:
    """The text in simplified characters (unchanged when it has no traditional ones)."""
    return _converter().convert(text) if text else text


def without_courtesy(text: str) -> str:
    """The text less the clauses that are only a greeting, a request to answer or thanks."""
    kept = [c for c in _CLAUSE.findall(text) if not _COURTESY_ONLY.fullmatch(re.sub(f"[{_STOPS}]", "", c))]
    out = "".join(kept)
    out = out[m.end():] if (m := _GLUED_GREETING.match(out)) else out
    while m := _GLUED_THANKS.search(out, max(0, len(out) - TAIL)):
        out = out[:m.start()]
    out = out.strip("，,；;：: ")
    return out if len(_HAN.findall(out)) >= MIN_HAN else text


def read_question(text: str) -> str:
    """The question as everything downstream reads it (see the module docstring)."""
    return without_courtesy(simplified(text))
