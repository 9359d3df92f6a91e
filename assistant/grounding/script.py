"""The writing system: a question typed in traditional characters (「誰來監督監察委員會?」, a Hong Kong or Taiwan
input method, a text pasted from such a page) is read in the simplified characters the knowledge base is written
in. Neither the jieba dictionary nor the corpus's words match traditional forms, and the small embedder places
such a question far from the article that answers it.

OpenCC's t2s conversion leaves simplified text as it is: over the 2,145 questions of the evaluation sets and the
question bank it changed only the 34 typed in traditional characters (docs/benchmarks.md, stop 30).
"""

from __future__ import annotations

from functools import cache

import opencc


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")  # about 6 ms, once per process


def simplified(text: str) -> str:
    """The text in simplified characters (unchanged when it has no traditional ones)."""
    return _converter().convert(text) if text else text
