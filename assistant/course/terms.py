"""Domain terms of a pack (resources/course_terms.tsv) and, for each, the passage that defines it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from assistant.course.passages import sentence_spans
from assistant.types import Chunk

_DEFINING = r"(?:是指|包括|即|分为|的种类为|种类为|为：)"
_KIND_RANK = {"regulation": 3, "regulation_collection": 3, "policy": 2, "interpretation": 1}
MAX_DEFINITION_CHARS = 400
MAX_ITEMS = 8  # lines of an enumeration kept after 「……种类：」
_ITEM = re.compile(r"^[（(][一二三四五六七八九十]{1,3}[）)]")


@dataclass(frozen=True)
class TermSpec:
    term: str
    generic: re.Pattern  # 「（所称）术语，是指/包括/分为…」
    cue: re.Pattern | None  # what else a defining passage says (second column)


@cache
def load_terms() -> tuple[TermSpec, ...]:
    """The rows of resources/course_terms.tsv, in file order."""
    text = (resources.files("assistant.resources") / "course_terms.tsv").read_text(encoding="utf-8")
    specs = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, _, cue = line.partition("\t")
        term = term.strip()
        generic = re.compile(rf"(?:所称)?{re.escape(term)}[”\"」’]?(?:[，,]\s*)?{_DEFINING}")
        specs.append(TermSpec(term, generic, re.compile(cue.strip()) if cue.strip() else None))
    return tuple(specs)


def terms_in(text: str, specs: Iterable[TermSpec] | None = None) -> list[TermSpec]:
    """The listed terms that occur in `text`."""
    return [s for s in (load_terms() if specs is None else specs) if s.term in text]


def _match(spec: TermSpec, text: str) -> tuple[re.Match | None, bool]:
    """(where the passage defines the term, whether by the generic 「是指」 pattern)."""
    m = spec.generic.search(text)
    if m:
        return m, True
    return (spec.cue.search(text) if spec.cue else None), False


def definition_span(text: str, m: re.Match, term: str = "") -> tuple[int, int]:
    """The sentences of `text` that hold the match: with the sentence before when only that one names the
    term, and an enumeration's lead-in (「……种类：」) with its items (the lines that follow, 「（一）…」)."""
    spans = sentence_spans(text)
    first = next((i for i, (a, b) in enumerate(spans) if b > m.start()), 0)
    last = next((i for i, (a, b) in enumerate(spans) if b >= m.end()), len(spans) - 1)
    start, end = spans[first][0], spans[last][1]
    if term and term not in text[start:end] and first and term in text[spans[first - 1][0]:start]:
        start = spans[first - 1][0]
    if text[end - 1] in "：:":
        for _ in range(MAX_ITEMS):
            line_end = text.find("\n", end + 1)
            line_end = len(text) if line_end < 0 else line_end
            line = text[end:line_end].strip()
            if not _ITEM.match(line) or line_end - start > MAX_DEFINITION_CHARS:
                break
            end = line_end
    if end - start > MAX_DEFINITION_CHARS:  # keep the sentence that starts the definition
        end = spans[first][1]
    return start, end


def find_definition(spec: TermSpec, chunks: Iterable[Chunk], relevance: dict[str, float],
                    cited: set[str]) -> tuple[Chunk, int, int] | None:
    """The passage that best defines the term: one that says what it is (「是指」…, or the cue), preferably
    naming the term, in force, a regulation or policy rather than a case, already cited, on the topic."""
    best, best_key = None, None
    for chunk in chunks:
        m, generic = _match(spec, chunk.text)
        if m is None:
            continue
        case_quote = chunk.kind == "case" and chunk.part_label == "相关条款"  # a regulation as quoted by a case
        key = (generic, spec.term in chunk.text, chunk.status == "in_force", not case_quote,
               _KIND_RANK.get(chunk.kind, 0), chunk.id in cited, relevance.get(chunk.id, 0.0), -chunk.start)
        if best_key is None or key > best_key:
            best, best_key = (chunk, m), key
    if best is None:
        return None
    chunk, m = best
    start, end = definition_span(chunk.text, m, spec.term)
    return chunk, start, end
