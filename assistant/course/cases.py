"""Cases from a compilation, quoted: the facts in brief and the outcome from 【基本案情及处理结果】, the stated
reasons from 【指导意义】; and discussion questions built from each case."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.course.passages import LABEL, sentence_spans
from assistant.course.types import CaseSummary, DiscussionQuestion, Quote
from assistant.grounding.text import CLOSERS, FULL_STOPS
from assistant.types import Chunk

FACTS_PART, REASONS_PART = "基本案情", "指导意义"
FACT_CHARS = 360  # the facts in brief: the first sentences up to about this length
REASON_CHARS = 360
_ENDS = FULL_STOPS + CLOSERS  # a sentence, not a sub-heading, ends with one of these
_OUTCOME = re.compile(r"决定|给予|予以|免予|不予|责令|处分|问责|移送|开除|撤销")
_PERSON = re.compile(r"([\u4e00-\u9fff]某)")
_TOLERANCE = re.compile(r"容错|免责")
_CORRECTION = re.compile(r"泛化|纠正|不当|错误处理")

Sentence = tuple[Chunk, int, int]  # a sentence as (chunk, start, end) within chunk.text


def person(title: str) -> str:
    """The person a case is about, as named in its title ('对林某予以容错免责案' → '林某'), or ''."""
    m = _PERSON.search(title)
    return m.group(1) if m else ""


def short_name(title: str) -> str:
    """'对林某予以容错免责案' → '林某案'; a title without a person stays whole."""
    name = person(title)
    return f"{name}案" if name else title


def _sentences(chunks: list[Chunk]) -> list[Sentence]:
    out = []
    for chunk in chunks:
        for a, b in sentence_spans(chunk.text):
            if not LABEL.match(chunk.text[a:b]):
                out.append((chunk, a, b))
    return out


def quotes(picked: list[Sentence], cite: Callable[[Chunk], int]) -> list[Quote]:
    """Adjacent sentences of one passage become one quotation: an exact slice of its text."""
    out: list[Quote] = []
    runs: list[list[Sentence]] = []
    for sentence in picked:
        last = runs[-1][-1] if runs else None
        if last and last[0].id == sentence[0].id and last[2] <= sentence[1] \
                and not sentence[0].text[last[2]:sentence[1]].strip():
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    for run in runs:
        chunk = run[0][0]
        out.append(Quote(text=chunk.text[run[0][1]:run[-1][2]], source=cite(chunk)))
    return out


def _text(sentence: Sentence) -> str:
    chunk, start, end = sentence
    return chunk.text[start:end]


def _length(sentence: Sentence) -> int:
    return sentence[2] - sentence[1]


def summarize_case(title: str, chunks: list[Chunk], cite: Callable[[Chunk], int]) -> CaseSummary:
    """The case's facts (first sentences), outcome (the last decision on the person the title names, with
    the decision told right after it) and reasons (sentences of 指导意义 about this case), each quoted."""
    ordered = sorted(chunks, key=lambda c: c.start)
    head = ordered[0]
    told = _sentences([c for c in ordered if c.part_label.startswith(FACTS_PART)])
    name = person(title)
    deciding = [i for i, s in enumerate(told) if _OUTCOME.search(_text(s))]
    named = [i for i in deciding if name and name in _text(told[i])]
    outcome_at: list[int] = []
    if deciding:  # the last decision on the person named in the title (else the last decision told)
        chosen = (named or deciding)[-1]
        outcome_at = [chosen] + ([chosen + 1] if chosen + 1 in deciding else [])
    facts: list[Sentence] = []
    for i, sentence in enumerate(told):
        if i in outcome_at or (facts and sum(map(_length, facts)) + _length(sentence) > FACT_CHARS):
            break
        facts.append(sentence)

    meaning = [s for s in _sentences([c for c in ordered if c.part_label == REASONS_PART])
               if _text(s)[-1] in _ENDS]  # sentences, not sub-headings
    about = [s for s in meaning if (name and name in _text(s)) or "本案" in _text(s)]
    reasons: list[Sentence] = []
    for sentence in about or meaning[:2]:
        if reasons and sum(map(_length, reasons)) + _length(sentence) > REASON_CHARS:
            break
        reasons.append(sentence)
    return CaseSummary(title=title, case_no=head.case_no, collection=head.doc_title,
                       facts=quotes(facts, cite), outcome=quotes([told[i] for i in outcome_at], cite),
                       reasons=quotes(reasons, cite))


def case_questions(case: CaseSummary, topic: str, provision_sources: list[int],
                   both: bool = True) -> list[DiscussionQuestion]:
    """Questions on a case from templates chosen by what the case is about (two, or only the first); each
    cites the case's quoted passages (and, for the second, the pack's leading provisions)."""
    name = person(case.title) or "当事人"
    short = short_name(case.title)
    told = "".join(q.text for q in case.outcome + case.reasons)
    own = tuple(case.sources)
    wider = tuple(sorted({q.source for q in case.reasons + case.outcome} | set(provision_sources[:2])))
    if _TOLERANCE.search(case.title):
        first = f"{short}中，哪些因素使{name}的错误属于可以容错的情形？"
        second = f"如果{name}是明知故犯或者借机谋取私利，{short}的处理结果会有什么不同？依据是什么？"
    elif _CORRECTION.search(case.title + told):
        first = f"{short}中，原来的处理存在哪些问题？应当如何纠正？"
        second = f"结合{short}，谈谈在“{topic}”中如何做到精准、规范，避免简单化、泛化。"
    else:
        first = f"{short}中，{name}的哪些行为违反了纪律规定？对其作出处理的依据和考量是什么？"
        second = f"结合{short}，谈谈在“{topic}”方面应当注意哪些问题。"
    questions = [DiscussionQuestion(text=first, sources=own)]
    return questions + [DiscussionQuestion(text=second, sources=wider or own)] if both else questions
