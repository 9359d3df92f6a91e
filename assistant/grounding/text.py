"""Sentences and citation markers: the one place that says where a Chinese sentence ends and what an [n] is.

Callers differ in which marks end a sentence, and they say so by name:
- FULL_STOPS (。！？): quotations and rules, so 「…区分开来；把…」 stays one sentence;
- CLAUSE_STOPS (。！？；): answers, whose items are separated by 「；」.
A line break always ends a sentence. Closing quotes and brackets after the end mark belong to the sentence
(`closers=True`), and so do citation markers written right after it (`markers=True`).
"""

from __future__ import annotations

import re
from functools import cache

FULL_STOPS = "。！？"
CLAUSE_STOPS = "。！？；"
CLOSERS = "”’」』）)\"'"
# [1], 【2】, ［3］, [1,2], [1、3]: what a model or a writer may use to point at numbered passages
MARKER = re.compile(r"[\[【［]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】］]")
PARTIAL_MARKER = re.compile(r"[\[【［][\d\s,，、]*")  # the start of a marker a stream has not finished yet
_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Whitespace removed: how a quoted passage or a question is compared with another text (the corpus files
    break lines and put spaces inside Chinese text)."""
    return _SPACE.sub("", text)


@cache
def sentence_pattern(stops: str = FULL_STOPS, *, closers: bool = False, markers: bool = False,
                     complete: bool = False) -> re.Pattern:
    """A regex matching one sentence ending at `stops` or a line break.

    closers: closing quotes after the end mark belong to the sentence; markers: so do citation markers
    written after it; complete: only sentences whose end mark (or line break) has been seen — for text
    that is still arriving — and the line break is kept with the sentence.
    """
    tail = f"[{re.escape(CLOSERS)}]*" if closers else ""
    marks = rf"(?:[ \t]*{MARKER.pattern})*" if markers else ""
    if complete:
        return re.compile(rf"[^{stops}\n]*[{stops}\n]+{tail}{marks}")
    return re.compile(rf"[^{stops}\n]+(?:[{stops}]+{tail})?{marks}")


@cache
def end_run(stops: str = FULL_STOPS, closers: str = CLOSERS) -> re.Pattern:
    """A run of end marks with the closing quotes after it: where a sentence can be cut."""
    return re.compile(rf"[{stops}]+[{re.escape(closers)}]*")


def sentence_spans(text: str, stops: str = FULL_STOPS, *, closers: bool = False, min_chars: int = 1,
                   markers: bool = False) -> list[tuple[int, int]]:
    """(start, end) of each sentence, blanks around it left out, so `text[start:end]` is it exactly as written;
    sentences shorter than `min_chars` are dropped."""
    spans = []
    for m in sentence_pattern(stops, closers=closers, markers=markers).finditer(text):
        a, b = m.span()
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b - a >= min_chars:
            spans.append((a, b))
    return spans


def split_sentences(text: str, stops: str = FULL_STOPS, *, closers: bool = False, min_chars: int = 1,
                    markers: bool = False) -> list[str]:
    """The sentences themselves (see `sentence_spans`)."""
    return [text[a:b] for a, b in sentence_spans(text, stops, closers=closers, min_chars=min_chars,
                                                 markers=markers)]


def cut_after_stops(text: str, stops: str = CLAUSE_STOPS) -> list[str]:
    """Pieces that end right after each run of end marks or line breaks; joined, they are `text` again
    (for streaming an answer sentence by sentence)."""
    return [p for p in re.findall(rf"[^{stops}\n]*[{stops}\n]*", text) if p]


def marker_numbers(text: str) -> list[int]:
    """Every passage number the markers of `text` point at, in order, repeats kept."""
    return [int(n) for group in MARKER.findall(text) for n in re.findall(r"\d+", group)]


def markers(numbers) -> str:
    """[1][3] for the numbers given."""
    return "".join(f"[{n}]" for n in numbers)


def without_article(text: str, article: str) -> str:
    """A quote of a passage without the article number it opens with (「第十七条　有下列…」 → 「有下列…」): whoever
    shows it names the article already, in front. Still an exact substring of the passage."""
    if article and text.startswith(article):
        return text[len(article):].lstrip(" \u3000")
    return text
