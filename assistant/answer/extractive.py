"""The answer without an LLM: the few sentences of the top passages that best match the question,
each followed by its marker, grouped under where the rule stands (《title》第X条)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.answer_type import asks_quantity, states_quantity
from assistant.grounding.in_force import SUPERSEDED_FACTOR, superseded_note
from assistant.grounding.passage import Passage
from assistant.grounding.text import CLAUSE_STOPS, without_article
from assistant.grounding.text import split_sentences as _split
from assistant.ingest.markers import L1, L2, L3, L4
from assistant.tokenizer import EXPANSION_WEIGHT, Tokenizer

_END = CLAUSE_STOPS  # an answer's items are separated by 「；」: each is a sentence of its own
MAX_SENTENCES, MIN_SENTENCES, MAX_CHARS, MAX_PASSAGES = 4, 2, 360, 3
# The answer leads with the best-ranked passage that says any of the question. Another passage is quoted only
# for what the leading one does not say: a sentence of it must hold question words the leading passage lacks,
# this much weight of them (a long term and its parts, or three words) — a second part of the question.
# Otherwise it stays among the listed passages (「相关条文」), not presented as the answer. Measured on
# real-dev / shared-heldout / real-heldout: quoted-passage precision 0.44/0.32/0.41 when any passage could
# join → 0.62/0.44/0.55 with this rule, answer-cited recall 0.68/0.44/0.54 → 0.61/0.46/0.57.
NEW_WORDS = 3.0
LEAD_SHARE = 0.5  # a lower-ranked passage leads only when its best sentence says twice as much
RANK_DECAY = 0.5  # passage n weighs 1 / (1 + 0.5·(n − 1)): retrieval rank counts more than word overlap
# When the question asks 多久/多少/几年, a sentence stating a quantity says this much more of it (as a
# question word would), and a passage stating one joins a leading passage that does not (answer_type.py).
# Chosen on real-dev from 0 / 1 / 1.5 / 2 / 3 / 4 (the smallest weight at its best figure: cited 0.60 → 0.61,
# precision 0.61 → 0.62); shared-heldout and real-heldout are unchanged by it (0.44 / 0.44, 0.54 / 0.54).
QUANTITY_WEIGHT = 2.0
# A rule is quoted with its structure: a sentence quoted from the leading passage that is one clause of a run joined
# by 「；」 (「情节较轻的，…；情节较重的，…；情节严重的，…」), a numbered item （一）… or the lead-in ending in 「：」
# before them brings the other clauses or items, up to this many characters of answer. Word overlap alone quoted the
# first of 「四种形态」 for 「是指哪四种」, items without the lead-in saying what they lead to, a penalty ladder without
# its upper rungs. No other passage joins for it, so what the answer quotes is unchanged (docs/benchmarks.md, stop 31).
LIST_CHARS = 2 * MAX_CHARS
_ITEMS = (L1, L2, L3, L4)  # 一、 （一） 1. （1）: the item markers the parser reads a rule's structure by


def split_sentences(text: str) -> list[str]:
    """Sentences ending at 。；！？ or a line break, terminator kept, pieces of fewer than two words dropped."""
    return [s for s in _split(text, CLAUSE_STOPS) if len(s.strip(" 　\t" + _END)) >= 2]


@dataclass(frozen=True)
class _Candidate:
    citation: Passage
    position: int  # sentence index within its passage
    text: str
    score: float
    replaced: bool  # from a superseded passage whose in-force successor is among the passages


def _plain(text: str) -> str:
    """For comparing a sentence with a heading: no spaces, end marks or half/full-width differences."""
    return re.sub(r"[\s" + _END + "]", "", text).replace("(", "（").replace(")", "）")


def _token_weights(question: str, tokenizer: Tokenizer) -> dict[str, float]:
    """Longer words weigh more; a single character barely counts; the official wording of colloquial
    words (打麻将赌钱 → 赌博) counts at half weight."""
    tokens = tokenizer.query_tokens(question)
    weights = {t: EXPANSION_WEIGHT * (1.0 if len(t) < 4 else 1.5)
               for t in tokenizer.expansion_tokens(question, tokens) if len(t) > 1}
    weights.update({t: (0.2 if len(t) == 1 else 1.0 if len(t) < 4 else 1.5) for t in tokens})
    return weights


def _quantity_weight(question: str) -> float:
    return QUANTITY_WEIGHT if asks_quantity(question) else 0.0


def _candidates(citations: list[Passage], weights: dict[str, float], quantity: float) -> list[_Candidate]:
    present = {c.doc_id for c in citations if c.status == "in_force"}
    out = []
    for c in citations:
        rank_weight = 1.0 / (1.0 + RANK_DECAY * (c.n - 1))
        replaced = c.status == "superseded" and c.superseded_by in present
        if c.status == "superseded":
            rank_weight *= SUPERSEDED_FACTOR
        heading = _plain(c.section.split(" > ")[-1]) if c.section else ""
        for i, sentence in enumerate(split_sentences(c.text)):
            sentence = without_article(sentence, c.article)
            if not sentence or _plain(sentence) == heading:
                continue  # the heading is already said by where the rule stands
            overlap = sum(w for t, w in weights.items() if t in sentence) + quantity * states_quantity(sentence)
            out.append(_Candidate(c, i, sentence, overlap * rank_weight, replaced))
    return out


def select_sentences(question: str, citations: list[Passage], tokenizer: Tokenizer) -> list[_Candidate]:
    """Up to four sentences by query-word overlap × passage rank, the leading passage's first; another passage
    only for a part of the question the leading one does not cover (NEW_WORDS); the top passage's first
    sentence if none match. Sentences of a superseded text are only used when its in-force successor offers
    nothing."""
    weights, quantity = _token_weights(question, tokenizer), _quantity_weight(question)  # the question, read once
    candidates = _candidates(citations, weights, quantity)
    current = [c for c in candidates if not c.replaced]
    if any(c.score > 0 for c in current):
        candidates = current
    if not candidates:
        return []
    ranked = sorted(candidates, key=lambda s: (-s.score, s.citation.n, s.position))
    best = ranked[0].score
    if best <= 0:
        return [min(candidates, key=lambda s: (s.citation.n, s.position))]
    # the best-ranked passage whose best sentence says nearly as much of the question as the best one does
    lead = min((c.citation for c in candidates if c.score >= LEAD_SHARE * best), key=lambda c: c.n)
    ranked.sort(key=lambda s: (s.citation.n != lead.n, -s.score, s.citation.n, s.position))  # its sentences lead
    chosen: list[_Candidate] = []
    chars = 0
    for cand in ranked:
        if len(chosen) >= MAX_SENTENCES or cand.score < 0.25 * best:
            break
        if len({c.citation.n for c in chosen} | {cand.citation.n}) > MAX_PASSAGES:
            continue
        if cand.citation.n != lead.n and _new_words(cand.text, lead.text, weights, quantity) < NEW_WORDS:
            continue
        weak = cand.score < 0.4 * best or chars + len(cand.text) > MAX_CHARS
        if weak and len(chosen) >= MIN_SENTENCES:
            break
        if weak and chars + len(cand.text) > MAX_CHARS * 1.5:
            continue
        chosen.append(cand)
        chars += len(cand.text)
    return _with_whole_lists(chosen, lead.n, [c for c in candidates if c.citation.n == lead.n])


def _is_item(sentence: str) -> bool:
    return any(p.match(sentence.lstrip()) for p in _ITEMS)


def _linked(sentence: str, following: str) -> bool:
    """`sentence` and the one after it belong to one list: a clause ending in 「；」 or a lead-in ending in 「：」,
    or two numbered items."""
    return sentence.rstrip()[-1:] in "；;：:" or (_is_item(sentence) and _is_item(following))


def _with_whole_lists(chosen: list[_Candidate], lead: int, lead_sentences: list[_Candidate]) -> list[_Candidate]:
    """The chosen sentences, and the other items of each list a chosen sentence of the leading passage belongs to."""
    by_position = {c.position: c for c in lead_sentences}
    taken = {c.position for c in chosen if c.citation.n == lead}
    chars = sum(len(c.text) for c in chosen)
    out = list(chosen)
    for position in sorted(taken):
        start = end = position
        while start - 1 in by_position and _linked(by_position[start - 1].text, by_position[start].text):
            start -= 1
        while end + 1 in by_position and _linked(by_position[end].text, by_position[end + 1].text):
            end += 1
        for item in (by_position[p] for p in range(start, end + 1) if p in by_position and p not in taken):
            if chars + len(item.text) > LIST_CHARS:
                break
            out.append(item)
            taken.add(item.position)
            chars += len(item.text)
    return out


def _new_words(sentence: str, lead: str, weights: dict[str, float], quantity: float) -> float:
    """Weight of the question's words (and the quantity it asks for) a sentence says and the leading
    passage does not."""
    asked = quantity * (states_quantity(sentence) and not states_quantity(lead))
    return sum(w for t, w in weights.items() if t in sentence and t not in lead) + asked


def _with_marker(sentence: str, n: int, last: bool) -> str:
    if sentence[-1] in "：:" and not last:  # a lead-in to the items that follow: 「…予以辞退[1]：」
        return f"{sentence[:-1]}[{n}]："
    body, end = (sentence[:-1], sentence[-1]) if sentence[-1] in _END + "：:" else (sentence, "。")
    if end in "：:":
        end = "。"
    if last and end == "；":
        end = "。"
    return f"{body}[{n}]{end}"


def compose(chosen: list[_Candidate], titles: dict[str, str]) -> str:
    """One line per passage in rank order; its sentences in document order, each followed by [n]."""
    groups: dict[int, list[_Candidate]] = {}
    for cand in chosen:
        groups.setdefault(cand.citation.n, []).append(cand)
    lines = []
    for n, members in sorted(groups.items()):
        members.sort(key=lambda s: s.position)
        citation = members[0].citation
        body = "".join(_with_marker(s.text, n, i == len(members) - 1) for i, s in enumerate(members))
        lines.append(f"{citation.where}{superseded_note(citation, titles)}：{body}")
    return "\n".join(lines)


def extractive_answer(question: str, citations: list[Passage], tokenizer: Tokenizer,
                      titles: dict[str, str] | None = None) -> str:
    """The extractive answer text; markers refer to `citations[n]`."""
    chosen = select_sentences(question, citations, tokenizer)
    if not chosen:
        return "检索到的条文中没有可摘录的内容。"
    return compose(chosen, titles or {})
