"""Text helpers for the pack: sentence spans inside a passage (so every quotation is an exact slice) and
how much of a topic a passage covers (its content words, rarer words weighing more)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from assistant.grounding.text import FULL_STOPS
from assistant.grounding.text import sentence_spans as text_spans
from assistant.retrieval.query import content_words
from assistant.tokenizer import Tokenizer
from assistant.types import Chunk

LABEL = re.compile(r"^【[^】]{1,20}】$")
PART_CREDIT = 0.8  # a long topic word whose parts all occur, apart (容错…纠错), counts 0.8


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`: ending at 。！？ (closing quotes kept) or a line break,
    surrounding blanks left out; `text[start:end]` is the sentence exactly as written."""
    return text_spans(text, FULL_STOPS, closers=True, min_chars=2)


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def body_length(chunk: Chunk) -> int:
    """Characters of a passage beyond its article number or 【label】: a heading alone has none."""
    text = chunk.text.strip()
    if LABEL.match(text):
        return 0
    if chunk.article and text.startswith(chunk.article):
        text = text[len(chunk.article):]
    return len(text.strip())


class TopicWords:
    """The topic's content words, each weighted by its rarity among the indexed passages."""

    def __init__(self, topic: str, tokenizer: Tokenizer, chunks: Iterable[Chunk]):
        self.words = content_words(topic, tokenizer)
        self.parts = {w: [p for p in tokenizer.tokens(w) if len(p) >= 2 and p != w] for w in self.words}
        texts = [c.text for c in chunks]
        total = max(len(texts), 1)
        self.weights = {w: math.log(1 + total / (1 + sum(w in t for t in texts))) for w in self.words}

    def coverage(self, text: str) -> float:
        """Weighted share of the topic's words found in `text`; a long word of which only some parts occur
        counts in part (容错 alone covers 容错纠错 at 0.4)."""
        total = sum(self.weights.values())
        if not total:
            return 0.0
        found = 0.0
        for word, weight in self.weights.items():
            if word in text:
                found += weight
            elif len(word) >= 4 and self.parts[word]:
                found += weight * PART_CREDIT * sum(p in text for p in self.parts[word]) / len(self.parts[word])
        return found / total
